package dev.keel.tf;

import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.tokenize.CharTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small random-weight GPT-2 folders in Keel's portable layout, and a plain Java forward pass over the same
 * weights (in double precision) that the engine is checked against.
 */
final class Gpt2Fixtures {
    static final String ALPHABET = "\n !',.:;?abcdefghijklmnopqrstuvwxyz";
    static final CharTokenizer TOKENIZER = CharTokenizer.fromText(ALPHABET);

    private Gpt2Fixtures() { }

    static Gpt2Config config(int block, int embd, int layers, int heads) {
        return Gpt2Config.builder().vocabSize(TOKENIZER.vocabSize()).blockSize(block).embedding(embd)
                .layers(layers).heads(heads).build();
    }

    /** Weights with enough spread that attention, GELU and layer norm are far from linear. */
    static Map<String, float[]> randomWeights(Gpt2Config c, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> w = new LinkedHashMap<>();
        Gpt2Layout.shapes(c).forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
            boolean norm = name.contains("ln_");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (norm && name.endsWith("weight") ? 1 + 0.2 * r.nextGaussian() : 0.2 * r.nextGaussian());
            }
            w.put(name, v);
        });
        return w;
    }

    static Path write(Path dir, Gpt2Config c, Map<String, float[]> w) {
        List<Tensor> tensors = new ArrayList<>();
        Gpt2Layout.shapes(c).forEach((name, shape) -> tensors.add(Tensor.ofFloats(name, shape, w.get(name))));
        ModelFolder.write(dir, c, tensors, TOKENIZER, KeelMetadata.create("test", "random").withVersion("v-test"));
        return dir;
    }

    /** Hugging Face GPT-2's forward pass, written out: logits {@code [time][vocab]}. */
    static double[][] referenceLogits(Gpt2Config c, Map<String, float[]> w, int[] ids) {
        int t = ids.length;
        int e = c.nEmbd();
        double[][] x = new double[t][e];
        float[] wte = w.get("transformer.wte.weight");
        float[] wpe = w.get("transformer.wpe.weight");
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < e; j++) {
                x[i][j] = wte[ids[i] * e + j] + wpe[i * e + j];
            }
        }
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "transformer.h." + l + ".";
            double[][] h = layerNorm(x, w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"), c.layerNormEpsilon());
            double[][] qkv = linear(h, w.get(p + "attn.c_attn.weight"), w.get(p + "attn.c_attn.bias"), 3 * e);
            double[][] att = new double[t][e];
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
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < hs; d++) {
                            att[i][head * hs + d] += s[j] / sum * qkv[j][2 * e + head * hs + d];
                        }
                    }
                }
            }
            add(x, linear(att, w.get(p + "attn.c_proj.weight"), w.get(p + "attn.c_proj.bias"), e));
            h = layerNorm(x, w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"), c.layerNormEpsilon());
            double[][] f = linear(h, w.get(p + "mlp.c_fc.weight"), w.get(p + "mlp.c_fc.bias"), 4 * e);
            for (double[] row : f) {
                for (int j = 0; j < row.length; j++) {
                    double v = row[j];
                    row[j] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                }
            }
            add(x, linear(f, w.get(p + "mlp.c_proj.weight"), w.get(p + "mlp.c_proj.bias"), e));
        }
        x = layerNorm(x, w.get("transformer.ln_f.weight"), w.get("transformer.ln_f.bias"), c.layerNormEpsilon());
        double[][] logits = new double[t][c.vocabSize()];
        for (int i = 0; i < t; i++) {
            for (int v = 0; v < c.vocabSize(); v++) {
                double dot = 0;
                for (int j = 0; j < e; j++) {
                    dot += x[i][j] * wte[v * e + j];
                }
                logits[i][v] = dot;
            }
        }
        return logits;
    }

    /** Mean next-token cross-entropy of {@code ids[1..]} given the reference logits. */
    static double referenceLoss(double[][] logits, int[] ids, int from, int count) {
        double sum = 0;
        for (int i = from; i < from + count; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[i]) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (double v : logits[i]) {
                z += Math.exp(v - max);
            }
            sum += max + Math.log(z) - logits[i][ids[i + 1]];
        }
        return sum;
    }

    private static void add(double[][] x, double[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += y[i][j];
            }
        }
    }

    private static double[][] linear(double[][] x, float[] w, float[] b, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int k = 0; k < in; k++) {
                    s += x[i][k] * w[k * out + o];
                }
                y[i][o] = s;
            }
        }
        return y;
    }

    private static double[][] layerNorm(double[][] x, float[] g, float[] b, double eps) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (double v : x[i]) {
                mean += v;
            }
            mean /= x[i].length;
            double var = 0;
            for (double v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[i].length;
            y[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                y[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
            }
        }
        return y;
    }
}
