package dev.keel.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.KeelException;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/** What every ONNX session shares: the engine session, its info, the listeners and the closed flag. */
abstract class SessionSupport implements dev.keel.api.infer.InferenceSession {
    protected final OrtSession session;
    protected final ModelInfo info;
    protected final SessionOptions options;
    private final AtomicBoolean closed = new AtomicBoolean();

    SessionSupport(OnnxModel model, SessionOptions options) {
        this.options = options;
        this.info = new ModelInfo(model.config(), OnnxBackendProvider.NAME, options.device(), model.version(),
                model.location());
        OrtSession.SessionOptions so = Ort.options(options);
        try {
            this.session = model.onnxFile() != null
                    ? Ort.env().createSession(model.onnxFile().toString(), so)
                    : Ort.env().createSession(model.onnxBytes(), so);
        } catch (OrtException e) {
            throw new dev.keel.api.CheckpointException("ONNX Runtime cannot load the graph of " + model.describe()
                    + ": " + e.getMessage() + "; re-export the model or check that it is a valid ONNX file", e);
        } finally {
            so.close();
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    protected void ensureOpen() {
        if (closed.get()) {
            throw new KeelException("the session is closed; open a new one");
        }
    }

    protected static String newId() {
        return UUID.randomUUID().toString();
    }

    /** Tells every listener; a listener that throws never fails the call (monitors never hurt the host). */
    protected void emit(String id, Instant start, String operation, long tokenizeNanos, long queueNanos,
            long computeNanos, List<String> inputs, long inputTokens, long outputTokens, long ttftNanos,
            List<String> outputs, String error) {
        List<InferenceListener> listeners = options.listeners();
        if (listeners.isEmpty()) {
            return;
        }
        InferenceEvent event = new InferenceEvent(id, start, operation, info.version(), info.backend(),
                info.device().toString(), tokenizeNanos, queueNanos, computeNanos, inputs, inputTokens,
                outputTokens, ttftNanos, outputs, List.of(), error);
        for (InferenceListener l : listeners) {
            try {
                l.onInference(event);
            } catch (RuntimeException ignored) {
                // a broken monitor must not fail an inference call
            }
        }
    }

    /** Releases subclass resources before the engine session closes. */
    protected void closeResources() { }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeResources();
            try {
                session.close();
            } catch (OrtException e) {
                throw new KeelException("closing the ONNX Runtime session failed: " + e.getMessage(), e);
            }
        }
    }
}
