package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.model.BertConfig;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.Tensor;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * BERT's encoder written out in plain Java from Hugging Face's {@code BertModel} (post-LayerNorm layers, exact
 * erf GELU, linear weights stored {@code [out, in]}), reading tensors in {@link BertLayout}'s names. Slow and
 * obvious on purpose, like {@link ReferenceGpt2}: every backend that serves bert must give the embeddings it
 * gives, which is what makes a bert folder (an imported MiniLM, a fine-tuned encoder) mean the same on every
 * engine.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class ReferenceBert {
    private final BertConfig c;
    private final Map<String, Tensor> t;

    /** @param tensors the encoder's tensors without the {@code bert.} prefix, as {@link BertLayout} names them */
    public ReferenceBert(BertConfig config, Map<String, Tensor> tensors) {
        this.c = config;
        this.t = tensors;
    }

    private float[] w(String name) {
        Tensor tensor = t.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("no tensor " + name + " in the reference's checkpoint");
        }
        return tensor.toFloats();
    }

    /** The mean of the last hidden states over the tokens: the sentence embedding before normalisation. */
    public float[] meanPooled(int[] tokens) {
        float[][] h = hidden(tokens);
        float[] mean = new float[c.hiddenSize()];
        for (float[] row : h) {
            for (int j = 0; j < mean.length; j++) {
                mean[j] += row[j] / h.length;
            }
        }
        return mean;
    }

    /** The last hidden states {@code [positions][hidden]} of one unpadded sequence (token type 0). */
    public float[][] hidden(int[] tokens) {
        int n = tokens.length;
        int h = c.hiddenSize();
        float[] word = w("embeddings.word_embeddings.weight");
        float[] position = w("embeddings.position_embeddings.weight");
        float[] type = w("embeddings.token_type_embeddings.weight");
        float[][] x = new float[n][h];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < h; j++) {
                x[i][j] = word[tokens[i] * h + j] + position[i * h + j] + type[j];
            }
        }
        x = layerNorm(x, "embeddings.LayerNorm");
        int heads = c.numAttentionHeads();
        int hs = h / heads;
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            float[][] q = linear(x, BertLayout.layer(l, "attention.self.query"), h, h);
            float[][] k = linear(x, BertLayout.layer(l, "attention.self.key"), h, h);
            float[][] v = linear(x, BertLayout.layer(l, "attention.self.value"), h, h);
            float[][] context = new float[n][h];
            for (int head = 0; head < heads; head++) {
                for (int i = 0; i < n; i++) {
                    double[] scores = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int d = 0; d < hs; d++) {
                            s += q[i][head * hs + d] * k[j][head * hs + d];
                        }
                        scores[j] = s / Math.sqrt(hs);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int d = 0; d < hs; d++) {
                        double acc = 0;
                        for (int j = 0; j < n; j++) {
                            acc += scores[j] / sum * v[j][head * hs + d];
                        }
                        context[i][head * hs + d] = (float) acc;
                    }
                }
            }
            x = layerNorm(add(linear(context, BertLayout.layer(l, "attention.output.dense"), h, h), x),
                    BertLayout.layer(l, "attention.output.LayerNorm"));
            int f = c.intermediateSize();
            float[][] inter = linear(x, BertLayout.layer(l, "intermediate.dense"), h, f);
            for (float[] row : inter) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = (float) (0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2))));
                }
            }
            x = layerNorm(add(linear(inter, BertLayout.layer(l, "output.dense"), f, h), x),
                    BertLayout.layer(l, "output.LayerNorm"));
        }
        return x;
    }

    private static float[][] add(float[][] y, float[][] x) {
        for (int i = 0; i < y.length; i++) {
            for (int j = 0; j < y[i].length; j++) {
                y[i][j] += x[i][j];
            }
        }
        return y;
    }

    /** {@code nn.Linear}: weight {@code [out, in]}, bias {@code [out]}. */
    private float[][] linear(float[][] x, String name, int in, int out) {
        float[] weight = w(name + ".weight");
        float[] bias = w(name + ".bias");
        float[][] y = new float[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int k = 0; k < in; k++) {
                    s += x[i][k] * weight[o * in + k];
                }
                y[i][o] = (float) s;
            }
        }
        return y;
    }

    private float[][] layerNorm(float[][] x, String name) {
        float[] g = w(name + ".weight");
        float[] b = w(name + ".bias");
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
                y[i][j] = (float) ((x[i][j] - mean) / Math.sqrt(var + c.layerNormEps()) * g[j] + b[j]);
            }
        }
        return y;
    }

    /** The error function to about 1e-7 (Abramowitz and Stegun 7.1.26), far inside the kit's tolerances. */
    static double erf(double x) {
        double z = Math.abs(x);
        double u = 1 / (1 + 0.3275911 * z);
        double poly = u * (0.254829592 + u * (-0.284496736 + u * (1.421413741 + u * (-1.453152027 + u * 1.061405429))));
        double r = 1 - poly * Math.exp(-z * z);
        return x < 0 ? -r : r;
    }
}
