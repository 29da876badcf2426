package dev.keel.tf.internal;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Copies between Java arrays and TensorFlow tensors, and the session settings every graph here uses. */
final class TfTensors {
    private TfTensors() { }

    static TFloat32 floats(float[] values, long... shape) {
        return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
    }

    static TInt32 ints(int[] values, long... shape) {
        return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
    }

    static float[] read(TFloat32 t) {
        float[] out = new float[Math.toIntExact(t.shape().size())];
        t.copyTo(DataBuffers.of(out, false, false));
        return out;
    }

    /**
     * Intra-op threads as asked (0 lets TensorFlow decide). Every session here is made with these settings,
     * so this is also where TensorFlow's logging is brought under {@code TF_CPP_MIN_LOG_LEVEL}.
     */
    static ConfigProto config(int threads) {
        TfLogging.honourMinLogLevel();
        ConfigProto.Builder b = ConfigProto.newBuilder();
        if (threads > 0) {
            b.setIntraOpParallelismThreads(threads);
        }
        return b.build();
    }
}
