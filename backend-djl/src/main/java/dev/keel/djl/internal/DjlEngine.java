package dev.keel.djl.internal;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.keel.api.Device;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;

/**
 * The one door to DJL's PyTorch engine. The natives come from the {@code pytorch-native} jar on the class path,
 * so loading needs no network; but DJL's engine class calls a telemetry address when it first initialises unless
 * the JVM says otherwise ({@code -Dai.djl.offline=true}, or {@code OPT_OUT_TRACKING=true} / {@code DJL_OFFLINE=true}
 * in the environment). A library must not change JVM-wide settings behind its host's back, so Keel does not set
 * that property here: the {@code keel} command line sets it in its {@code main}, the build sets it for tests, and a
 * host sets it at start-up (docs/api.md). When none of them is set, the first load logs one warning saying so.
 */
public final class DjlEngine {
    public static final String ENGINE = "PyTorch";
    private static final System.Logger LOG = System.getLogger(DjlEngine.class.getName());
    private static boolean warned;

    private DjlEngine() { }

    /** The PyTorch engine, loading its natives on first use. */
    public static synchronized Engine pytorch() {
        if (!warned && !offline(System::getProperty, System::getenv)) {
            warned = true;
            LOG.log(System.Logger.Level.WARNING, "DJL is not set offline: its engine will try to reach a telemetry "
                    + "address as it starts. Start the JVM with -Dai.djl.offline=true (or set OPT_OUT_TRACKING=true) "
                    + "to keep Keel free of network calls");
        }
        try {
            return Engine.getEngine(ENGINE);
        } catch (RuntimeException | LinkageError e) {
            throw new KeelException("DJL's PyTorch engine did not load (" + e.getMessage() + "); keep "
                    + "ai.djl.pytorch:pytorch-engine, pytorch-jni and a pytorch-native jar of the same versions "
                    + "on the class path", e);
        }
    }

    /**
     * Whether DJL's start-up stays off the network: {@code ai.djl.offline} or {@code OPT_OUT_TRACKING} as a
     * property, or {@code DJL_OFFLINE} / {@code OPT_OUT_TRACKING} in the environment, set to true (as DJL reads them).
     */
    static boolean offline(java.util.function.UnaryOperator<String> properties,
            java.util.function.UnaryOperator<String> environment) {
        String offline = environment.apply("DJL_OFFLINE") != null ? environment.apply("DJL_OFFLINE")
                : properties.apply("ai.djl.offline");
        String tracking = environment.apply("OPT_OUT_TRACKING") != null ? environment.apply("OPT_OUT_TRACKING")
                : properties.apply("OPT_OUT_TRACKING");
        return Boolean.parseBoolean(offline) || Boolean.parseBoolean(tracking);
    }

    /**
     * Applies a session's intra-op thread count ({@code SessionOptions.threads}) to PyTorch; 0 keeps what
     * the engine chose (the {@code OMP_NUM_THREADS} environment variable, else one thread per core).
     * PyTorch has one setting per process, not per session: it applies to the calling thread at once and to
     * every thread whose first engine call comes later, so the last session opened with a count wins.
     */
    public static void intraOpThreads(int threads) {
        if (threads > 0) {
            pytorch();
            JniUtils.setNumThreads(threads);
        }
    }

    /** The intra-op thread count PyTorch uses on the calling thread. */
    public static int intraOpThreads() {
        pytorch();
        return JniUtils.getNumThreads();
    }

    /** Maps Keel's device to DJL's, failing clearly when a GPU is asked for and no CUDA native is present. */
    public static ai.djl.Device device(Device device) {
        Engine engine = pytorch();
        if (!device.isGpu()) {
            return ai.djl.Device.cpu();
        }
        int gpus = engine.getGpuCount();
        if (gpus == 0) {
            throw new UnsupportedCapabilityException("device " + device + " was asked for, but DJL's PyTorch "
                    + "engine sees no CUDA GPU (the class path holds the CPU native, or no driver is present); "
                    + "use --device cpu, or put ai.djl.pytorch:pytorch-native-cu* (classifier linux-x86_64) "
                    + "in place of pytorch-native-cpu");
        }
        if (device.index() >= gpus) {
            throw new UnsupportedCapabilityException("device " + device + " was asked for, but only " + gpus
                    + " GPU(s) are visible; use gpu:0 to gpu:" + (gpus - 1));
        }
        return ai.djl.Device.gpu(device.index());
    }

    /** A new root manager on a device, with the engine loaded first. */
    public static NDManager newManager(ai.djl.Device device) {
        pytorch();
        return NDManager.newBaseManager(device, ENGINE);
    }

    /**
     * An int64 array whose memory the engine owns. {@code NDManager.create(long[])} wraps a direct Java
     * buffer that the garbage collector may reclaim while autograd still holds the tensor (GUIDE.md 3).
     */
    public static NDArray ownedLongs(NDManager manager, long[] values, Shape shape) {
        try (NDArray shared = manager.create(values, shape)) {
            return shared.duplicate();
        }
    }

    /** A float32 array whose memory the engine owns (see {@link #ownedLongs}). */
    public static NDArray ownedFloats(NDManager manager, float[] values, Shape shape) {
        try (NDArray shared = manager.create(values, shape)) {
            return shared.duplicate();
        }
    }

    /** A float32 scalar created by the engine, safe to keep in a field and use inside autograd. */
    public static NDArray scalar(NDManager manager, float value) {
        return manager.full(new Shape(), value, DataType.FLOAT32);
    }
}
