package dev.keel.onnx;

import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A plain-Java GPT-2 forward pass (Hugging Face GPT2LMHeadModel, no cache, double precision) that the
 * exported ONNX graph is checked against, and random weights to feed both.
 */
final class Gpt2Reference {
    private final Gpt2Config c;
    private final Map<String, float[]> w = new LinkedHashMap<>();
    private final boolean tanhGelu;

    Gpt2Reference(Gpt2Config c, Map<String, Tensor> tensors, boolean tanhGelu) {
        this.c = c;
        this.tanhGelu = tanhGelu;
        tensors.forEach((k, t) -> w.put(k, t.toFloats()));
    }

    static List<Tensor> randomWeights(Gpt2Config c, long seed) {
        Random r = new Random(seed);
        return Gpt2Layout.shapes(c).entrySet().stream().map(e -> {
            int n = (int) Tensor.elementCount(e.getValue());
            float[] v = new float[n];
            boolean norm = e.getKey().contains("ln_");
            for (int i = 0; i < n; i++) {
                v[i] = (float) ((norm && e.getKey().endsWith("weight") ? 1 : 0) + r.nextGaussian() * 0.3);
            }
            return Tensor.ofFloats(e.getKey(), e.getValue(), v);
        }).toList();
    }

    private float[] p(String name) {
        return w.get(Gpt2Layout.PREFIX + name);
    }

    /** Logits {@code [T][vocab]} for one sequence. */
    double[][] logits(int[] tokens) {
        int t = tokens.length;
        int e = c.nEmbd();
        double[][] x = new double[t][e];
        for (int i = 0; i < t; i++) {
            for (int d = 0; d < e; d++) {
                x[i][d] = p("wte.weight")[tokens[i] * e + d] + p("wpe.weight")[i * e + d];
            }
        }
        for (int l = 0; l < c.nLayer(); l++) {
            String b = "h." + l + ".";
            double[][] h = norm(x, b + "ln_1");
            double[][] qkv = linear(h, b + "attn.c_attn", 3 * e);
            double[][] y = new double[t][e];
            int hs = c.headSize();
            for (int head = 0; head < c.nHead(); head++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int d = 0; d < hs; d++) {
                            dot += qkv[i][head * hs + d] * qkv[j][e + head * hs + d];
                        }
                        s[j] = dot / Math.sqrt(hs);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        z += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < hs; d++) {
                            y[i][head * hs + d] += s[j] / z * qkv[j][2 * e + head * hs + d];
                        }
                    }
                }
            }
            add(x, linear(y, b + "attn.c_proj", e));
            double[][] m = linear(norm(x, b + "ln_2"), b + "mlp.c_fc", 4 * e);
            for (double[] row : m) {
                for (int d = 0; d < row.length; d++) {
                    double v = row[d];
                    row[d] = tanhGelu ? 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))
                            : 0.5 * v * (1 + erf(v / Math.sqrt(2)));
                }
            }
            add(x, linear(m, b + "mlp.c_proj", e));
        }
        double[][] f = norm(x, "ln_f");
        double[][] out = new double[t][c.vocabSize()];
        for (int i = 0; i < t; i++) {
            for (int v = 0; v < c.vocabSize(); v++) {
                double s = 0;
                for (int d = 0; d < e; d++) {
                    s += f[i][d] * p("wte.weight")[v * e + d];
                }
                out[i][v] = s;
            }
        }
        return out;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int d = 0; d < x[i].length; d++) {
                x[i][d] += y[i][d];
            }
        }
    }

    private double[][] norm(double[][] x, String name) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            int e = x[i].length;
            double mean = 0;
            for (double v : x[i]) {
                mean += v / e;
            }
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean) / e;
            }
            out[i] = new double[e];
            for (int d = 0; d < e; d++) {
                out[i][d] = (x[i][d] - mean) / Math.sqrt(var + c.layerNormEpsilon()) * p(name + ".weight")[d]
                        + (c.bias() ? p(name + ".bias")[d] : 0);
            }
        }
        return out;
    }

    /** Conv1D: weight {@code [in, out]}. */
    private double[][] linear(double[][] x, String name, int outDim) {
        float[] wt = p(name + ".weight");
        float[] bias = c.bias() ? p(name + ".bias") : null;
        double[][] out = new double[x.length][outDim];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < outDim; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int k = 0; k < x[i].length; k++) {
                    s += x[i][k] * wt[k * outDim + o];
                }
                out[i][o] = s;
            }
        }
        return out;
    }

    /** erf from Numerical Recipes' erfc fit (error below 1.2e-7, far inside the test tolerance). */
    private static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - ans : ans - 1;
    }
}
