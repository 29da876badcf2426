package dev.keel.adapters;

import dev.keel.api.CheckpointException;
import dev.keel.spi.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A classification head over sentence features, evaluated in plain Java. Either one linear layer
 * ({@code classifier.weight [classes, features]}, {@code classifier.bias}, as Hugging Face's
 * {@code BertForSequenceClassification} names it) or RoBERTa's two-layer head
 * ({@code classifier.dense} with tanh, then {@code classifier.out_proj}). Weights are stored as
 * {@code nn.Linear} stores them, {@code [out, in]}. Immutable and thread-safe.
 */
public final class ClassifierHead {
    public static final String WEIGHT = "classifier.weight";
    public static final String BIAS = "classifier.bias";
    public static final String DENSE_WEIGHT = "classifier.dense.weight";
    public static final String DENSE_BIAS = "classifier.dense.bias";
    public static final String OUT_WEIGHT = "classifier.out_proj.weight";
    public static final String OUT_BIAS = "classifier.out_proj.bias";

    private final float[][] denseW;
    private final float[] denseB;
    private final float[][] outW;
    private final float[] outB;

    ClassifierHead(float[][] denseW, float[] denseB, float[][] outW, float[] outB) {
        this.denseW = denseW;
        this.denseB = denseB;
        this.outW = outW;
        this.outB = outB;
    }

    public int features() {
        return denseW != null ? denseW[0].length : outW[0].length;
    }

    public int classes() {
        return outW.length;
    }

    public int hidden() {
        return denseW == null ? 0 : denseW.length;
    }

    // the layers, for a warm start (HeadTrainer copies them; nothing writes through these)
    float[][] denseWeights() {
        return denseW;
    }

    float[] denseBias() {
        return denseB;
    }

    float[][] outWeights() {
        return outW;
    }

    float[] outBias() {
        return outB;
    }

    public long parameterCount() {
        long n = (long) outW.length * outW[0].length + outB.length;
        return denseW == null ? n : n + (long) denseW.length * denseW[0].length + denseB.length;
    }

    public double[] logits(float[] x) {
        if (x.length != features()) {
            throw new dev.keel.api.InvalidInputException("the head expects " + features()
                    + " features but the embedding has " + x.length + "; was the head trained on another base?");
        }
        float[] in = x;
        if (denseW != null) {
            in = new float[denseW.length];
            for (int j = 0; j < denseW.length; j++) {
                in[j] = (float) Math.tanh(dot(denseW[j], x) + denseB[j]);
            }
        }
        double[] z = new double[outW.length];
        for (int c = 0; c < z.length; c++) {
            z[c] = dot(outW[c], in) + outB[c];
        }
        return z;
    }

    public double[] probabilities(float[] x) {
        return softmax(logits(x));
    }

    static double dot(float[] w, float[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += w[i] * x[i];
        }
        return s;
    }

    public static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    public List<Tensor> toTensors() {
        List<Tensor> out = new ArrayList<>();
        if (denseW == null) {
            out.add(matrix(WEIGHT, outW));
            out.add(vector(BIAS, outB));
        } else {
            out.add(matrix(DENSE_WEIGHT, denseW));
            out.add(vector(DENSE_BIAS, denseB));
            out.add(matrix(OUT_WEIGHT, outW));
            out.add(vector(OUT_BIAS, outB));
        }
        return out;
    }

    /** Reads a head from checkpoint tensors (either layout); fails naming what is missing. */
    public static ClassifierHead fromTensors(Map<String, Tensor> tensors) {
        if (tensors.containsKey(DENSE_WEIGHT)) {
            return new ClassifierHead(rows(need(tensors, DENSE_WEIGHT)), need(tensors, DENSE_BIAS).toFloats(),
                    rows(need(tensors, OUT_WEIGHT)), need(tensors, OUT_BIAS).toFloats());
        }
        return new ClassifierHead(null, null, rows(need(tensors, WEIGHT)), need(tensors, BIAS).toFloats());
    }

    private static Tensor need(Map<String, Tensor> tensors, String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException("the head checkpoint has no tensor '" + name + "' (it has "
                    + tensors.keySet() + "); re-run keel adapt --method head");
        }
        return t;
    }

    static float[][] rows(Tensor t) {
        if (t.shape().length != 2) {
            throw new CheckpointException("tensor '" + t.name() + "' should be a matrix, has shape "
                    + java.util.Arrays.toString(t.shape()));
        }
        int r = (int) t.shape()[0];
        int c = (int) t.shape()[1];
        float[] flat = t.toFloats();
        float[][] m = new float[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, m[i], 0, c);
        }
        return m;
    }

    static Tensor matrix(String name, float[][] m) {
        float[] flat = new float[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, flat, i * m[0].length, m[0].length);
        }
        return Tensor.ofFloats(name, new long[] {m.length, m[0].length}, flat);
    }

    static Tensor vector(String name, float[] v) {
        return Tensor.ofFloats(name, new long[] {v.length}, v.clone());
    }
}
