package dev.keel.onnx.internal;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.SessionOptions;

/**
 * The one ONNX Runtime environment of the JVM and the session settings Keel tunes. One environment,
 * created on first use and never closed: ORT allows a single global thread pool per process, and a second
 * creator (DJL's OnnxRuntime engine, say) fails if it comes after, so everything in Keel shares this one.
 */
final class Ort {
    private static volatile OrtEnvironment environment;

    private Ort() { }

    static OrtEnvironment env() {
        OrtEnvironment e = environment;
        if (e == null) {
            synchronized (Ort.class) {
                e = environment;
                if (e == null) {
                    try {
                        // the plain getter: another library (LangChain4j, DJL) may have made the environment already,
                        // and asking for a different name or level then only logs a warning
                        e = OrtEnvironment.getEnvironment();
                    } catch (RuntimeException | LinkageError ex) {
                        throw new KeelException("ONNX Runtime could not start (" + ex.getMessage()
                                + "); check that com.microsoft.onnxruntime:onnxruntime matches this OS and CPU", ex);
                    }
                    environment = e;
                    NativeTempFolder.removeAtExit();
                }
            }
        }
        return e;
    }

    /**
     * Session settings for serving: every optimisation ORT has, intra-op threads = the cores (or what the
     * caller asked), one inter-op thread (our graphs are chains, parallel branches buy nothing), the CPU
     * arena so batch after batch reuses its buffers, and CUDA when a GPU is asked for.
     */
    static OrtSession.SessionOptions options(SessionOptions options) {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setCPUArenaAllocator(true);
            so.setMemoryPatternOptimization(true);
            if (options.device().isGpu()) {
                addCuda(so, options.device().index());
            }
            return so;
        } catch (OrtException e) {
            so.close();
            throw new KeelException("cannot configure an ONNX Runtime session: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            so.close();
            throw e;
        }
    }

    private static void addCuda(OrtSession.SessionOptions so, int index) {
        try {
            so.addCUDA(index);
        } catch (OrtException | RuntimeException | LinkageError e) {
            throw new UnsupportedCapabilityException("backend 'onnx' cannot use gpu:" + index + " here ("
                    + e.getMessage() + "); the GPU needs com.microsoft.onnxruntime:onnxruntime_gpu instead of "
                    + "onnxruntime on the class path (build with ./mvnw -Pgpu), CUDA 12 and cuDNN 9, "
                    + "or run with --device cpu");
        }
    }
}
