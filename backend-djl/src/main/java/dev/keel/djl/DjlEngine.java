package dev.keel.djl;

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
 * The one door to DJL's PyTorch engine. DJL reads {@code ai.djl.offline} when it first loads and would
 * otherwise reach for the network, so the flag is set here, before any DJL engine class initialises.
 */
public final class DjlEngine {
    public static final String ENGINE = "PyTorch";

    private DjlEngine() { }

    /** The PyTorch engine, loading its natives on first use. */
    public static synchronized Engine pytorch() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
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
