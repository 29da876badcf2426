package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.Tensor;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * GPT-2's forward pass written out in plain Java from Hugging Face's modelling code, reading tensors in the
 * checkpoint layout (Conv1D weights [in, out], q/k/v concatenated in that order, gelu_new, tied LM head).
 * Slow and obvious on purpose: every backend's logits must agree with it, which is what makes a checkpoint
 * give the same predictions on every engine.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class ReferenceGpt2 {
    private final Gpt2Config c;
    private final Map<String, Tensor> t;

    /** @param canonical tensors with Keel's canonical names ({@code transformer.} prefix) */
    public ReferenceGpt2(Gpt2Config config, Map<String, Tensor> canonical) {
        this.c = config;
        this.t = canonical;
    }

    private float[] w(String name) {
        return t.get("transformer." + name).toFloats();
    }

    /** A bias, or zeros for a config without biases ({@code keel_bias: false}). */
    private float[] bias(String name, int size) {
        return c.bias() ? w(name) : new float[size];
    }

    /** Next-token logits {@code [positions][vocab]}. */
    public float[][] logits(int[] tokens) {
        float[][] x = hidden(tokens);
        int n = tokens.length;
        int e = c.nEmbd();
        float[] wte = w("wte.weight");
        float[][] out = new float[n][c.vocabSize()];
        for (int i = 0; i < n; i++) {
            for (int v = 0; v < c.vocabSize(); v++) {
                double s = 0;
                for (int j = 0; j < e; j++) {
                    s += x[i][j] * wte[v * e + j];
                }
                out[i][v] = (float) s;
            }
        }
        return out;
    }

    /** Mean next-token cross-entropy over a batch ({@code x}, {@code y}: {@code rows x block}, row major). */
    public double loss(int[] x, int[] y, int rows) {
        int block = x.length / rows;
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            float[][] logits = logits(java.util.Arrays.copyOfRange(x, r * block, (r + 1) * block));
            for (int i = 0; i < block; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (float v : logits[i]) {
                    max = Math.max(max, v);
                }
                double z = 0;
                for (float v : logits[i]) {
                    z += Math.exp(v - max);
                }
                sum += max + Math.log(z) - logits[i][y[r * block + i]];
            }
        }
        return sum / x.length;
    }

    /** The final hidden states after {@code ln_f}, {@code [positions][n_embd]}: what a gpt2 embedding pools. */
    public float[][] hidden(int[] tokens) {
        int n = tokens.length;
        int e = c.nEmbd();
        float[] wte = w("wte.weight");
        float[] wpe = w("wpe.weight");
        float[][] x = new float[n][e];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < e; j++) {
                x[i][j] = wte[tokens[i] * e + j] + wpe[i * e + j];
            }
        }
        for (int l = 0; l < c.nLayer(); l++) {
            String b = "h." + l + ".";
            float[][] h = layerNorm(x, b + "ln_1");
            float[][] qkv = conv1d(h, b + "attn.c_attn", e, 3 * e);
            float[][] y = new float[n][e];
            int hs = c.headSize();
            for (int head = 0; head < c.nHead(); head++) {
                for (int i = 0; i < n; i++) {
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double s = 0;
                        for (int d = 0; d < hs; d++) {
                            s += qkv[i][head * hs + d] * qkv[j][e + head * hs + d];
                        }
                        scores[j] = s / Math.sqrt(hs);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int d = 0; d < hs; d++) {
                        double acc = 0;
                        for (int j = 0; j <= i; j++) {
                            acc += scores[j] / sum * qkv[j][2 * e + head * hs + d];
                        }
                        y[i][head * hs + d] = (float) acc;
                    }
                }
            }
            add(x, conv1d(y, b + "attn.c_proj", e, e));
            h = layerNorm(x, b + "ln_2");
            float[][] f = conv1d(h, b + "mlp.c_fc", e, 4 * e);
            for (float[] row : f) {
                for (int j = 0; j < row.length; j++) {
                    double v = row[j];
                    row[j] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
                }
            }
            add(x, conv1d(f, b + "mlp.c_proj", 4 * e, e));
        }
        return layerNorm(x, "ln_f");
    }

    private static void add(float[][] x, float[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }

    private float[][] conv1d(float[][] x, String name, int in, int out) {
        float[] weight = w(name + ".weight");
        float[] bias = bias(name + ".bias", out);
        float[][] y = new float[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int k = 0; k < in; k++) {
                    s += x[i][k] * weight[k * out + o];
                }
                y[i][o] = (float) s;
            }
        }
        return y;
    }

    private float[][] layerNorm(float[][] x, String name) {
        float[] g = w(name + ".weight");
        float[] b = bias(name + ".bias", x[0].length);
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (float v : x[i]) {
                mean += v;
            }
            mean /= x[i].length;
            double var = 0;
            for (float v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[i].length;
            y[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                y[i][j] = (float) ((x[i][j] - mean) / Math.sqrt(var + c.layerNormEpsilon()) * g[j] + b[j]);
            }
        }
        return y;
    }
}
