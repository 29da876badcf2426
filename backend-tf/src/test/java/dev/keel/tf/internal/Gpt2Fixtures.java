package dev.keel.tf.internal;

import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.tck.ReferenceGpt2;
import dev.keel.spi.tokenize.CharTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small random-weight GPT-2 folders in Keel's portable layout, and a plain Java forward pass over the same
 * weights that the engine is checked against.
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

    /**
     * Hugging Face GPT-2's forward pass in plain Java (the compatibility kit's {@link ReferenceGpt2}):
     * logits {@code [time][vocab]}.
     */
    static double[][] referenceLogits(Gpt2Config c, Map<String, float[]> w, int[] ids) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Gpt2Layout.shapes(c).forEach((name, shape) -> tensors.put(name, Tensor.ofFloats(name, shape, w.get(name))));
        float[][] logits = new ReferenceGpt2(c, tensors).logits(ids);
        double[][] out = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            out[i] = new double[logits[i].length];
            for (int j = 0; j < logits[i].length; j++) {
                out[i][j] = logits[i][j];
            }
        }
        return out;
    }

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
}
