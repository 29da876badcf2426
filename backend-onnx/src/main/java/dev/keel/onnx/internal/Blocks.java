package dev.keel.onnx.internal;

import static dev.keel.onnx.internal.GraphBuilder.attr;

import dev.keel.api.CheckpointException;
import dev.keel.spi.checkpoint.DType;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;

/** Transformer building blocks shared by the BERT and GPT-2 graphs, and weight helpers. */
final class Blocks {
    private Blocks() { }

    /** Reads a weight, accepting an optional prefix (a classification model's {@code bert.}). */
    static Tensor weight(Map<String, Tensor> weights, String name, String optionalPrefix, long... shape) {
        Tensor t = weights.get(name);
        if (t == null && optionalPrefix != null) {
            t = weights.get(optionalPrefix + name);
        }
        if (t == null) {
            throw new CheckpointException("the weights have no tensor '" + name + "'; was the folder written for "
                    + "another model family or size?");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but config.json implies " + Arrays.toString(shape)
                    + "; the checkpoint and config.json must come from the same model");
        }
        return t;
    }

    /** The tensor as float32 little-endian bytes (converted from F16/BF16/F64 if needed). */
    static ByteBuffer f32(Tensor t) {
        if (t.dtype() == DType.F32) {
            return t.data();
        }
        float[] v = t.toFloats();
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    /** A 2-D tensor transposed, as float32 little-endian bytes. */
    static ByteBuffer transposed(Tensor t) {
        float[] out = transpose(t.toFloats(), (int) t.shape()[0], (int) t.shape()[1]);
        ByteBuffer b = ByteBuffer.allocate(out.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(out);
        return b;
    }

    /** A row-major {@code [rows, cols]} matrix as {@code [cols, rows]}. */
    static float[] transpose(float[] v, int rows, int cols) {
        float[] out = new float[v.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = v[r * cols + c];
            }
        }
        return out;
    }

    /** {@code x W + b} with W stored {@code [in, out]}; a null bias adds nothing. */
    static String linear(GraphBuilder g, String x, String w, String b) {
        String y = g.op("MatMul", x, w);
        return b == null ? y : g.op("Add", y, b);
    }

    static String layerNorm(GraphBuilder g, String x, String scale, String bias, double eps) {
        String[] inputs = bias == null ? new String[] {x, scale} : new String[] {x, scale, bias};
        return g.op("LayerNormalization", inputs, attr("axis", -1L), attr("epsilon", (float) eps));
    }

    /** GELU: exact (erf) for BERT's "gelu", the tanh approximation for GPT-2's "gelu_new". */
    static String gelu(GraphBuilder g, String x, String activation) {
        return switch (activation) {
            case "gelu" -> {
                String erf = g.op("Erf", g.op("Mul", x, g.scalar((float) (1 / Math.sqrt(2)))));
                yield g.op("Mul", g.op("Mul", x, g.scalar(0.5f)), g.op("Add", erf, g.scalar(1f)));
            }
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> {
                String cube = g.op("Mul", g.op("Mul", x, x), x);
                String inner = g.op("Add", x, g.op("Mul", cube, g.scalar(0.044715f)));
                String tanh = g.op("Tanh", g.op("Mul", inner, g.scalar((float) Math.sqrt(2 / Math.PI))));
                yield g.op("Mul", g.op("Mul", x, g.scalar(0.5f)), g.op("Add", tanh, g.scalar(1f)));
            }
            default -> throw new CheckpointException("config.json names activation_function \"" + activation
                    + "\"; the onnx export knows gelu and gelu_new");
        };
    }

    /** {@code [B, T, heads*d]} to {@code [B, heads, T, d]}. */
    static String splitHeads(GraphBuilder g, String x, int heads, int headSize) {
        String r = g.op("Reshape", x, g.longs(0, 0, heads, headSize));
        return g.op("Transpose", r, GraphBuilder.attrInts("perm", 0, 2, 1, 3));
    }

    /** {@code [B, heads, T, d]} back to {@code [B, T, heads*d]}. */
    static String mergeHeads(GraphBuilder g, String x, int width) {
        String t = g.op("Transpose", x, GraphBuilder.attrInts("perm", 0, 2, 1, 3));
        return g.op("Reshape", t, g.longs(0, 0, width));
    }
}
