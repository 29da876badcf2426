package dev.keel.djl.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Creation of NDArrays that own their memory. {@code NDManager.create(float[])} may share a Java buffer that
 * a garbage collection can recycle while autograd still reads it (GUIDE.md, DJL traps); a duplicate lives
 * in engine memory, so every array built from Java data goes through here.
 */
final class NdUtil {
    private NdUtil() { }

    static NDArray floats(NDManager m, float[] data, Shape shape) {
        NDArray tmp = m.create(data, shape);
        NDArray owned = tmp.duplicate();
        tmp.close();
        return owned;
    }

    static NDArray longs(NDManager m, long[] data, Shape shape) {
        NDArray tmp = m.create(data, shape);
        NDArray owned = tmp.duplicate();
        tmp.close();
        return owned;
    }

    /** A scalar that stays alive in a field: Java scalars inside a gradient collector corrupt backward. */
    static NDArray scalar(NDManager m, float value) {
        return m.full(new Shape(1), value);
    }
}
