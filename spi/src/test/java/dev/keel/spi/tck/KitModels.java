package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.model.BertConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apiguardian.api.API;

/**
 * Engine-neutral fixtures for the kit: a tiny GPT-2 folder written straight from random tensors (so a
 * backend that cannot train is checked too), and a small patterned corpus a tiny model learns in seconds.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class KitModels {
    /** Ten letters and a newline: the tiny model's vocabulary. */
    public static final CharTokenizer TOKENIZER = CharTokenizer.fromText("abcdefghij\n");
    public static final Gpt2Config GPT2 = new Gpt2Config(11, 16, 16, 2, 2, 0.0, true, 1e-5);
    /** A bert encoder as small as the gpt2 one, over the same tokenizer. */
    public static final BertConfig BERT = new BertConfig(11, 16, 2, 2, 32, 32, 2, 0.0, 0.0, 1e-12, List.of());
    /** The classes of the kit's classifiers. */
    public static final List<String> LABELS = List.of("negative", "positive");
    public static final String TEXT;

    static {
        StringBuilder sb = new StringBuilder();
        String[] lines = {"abc def ghij\n", "jih gfe dcba\n", "aaa bbb ccc\n", "hij hij hij\n"};
        for (int i = 0; i < 150; i++) {
            sb.append(lines[(i * 7) % lines.length]);
        }
        TEXT = sb.toString().replace(' ', 'e');
    }

    private KitModels() { }

    /** Random weights, biases and layer-norm parameters included so every tensor matters. */
    public static Map<String, Tensor> randomGpt2(Gpt2Config config, long seed) {
        return random(Gpt2Layout.shapes(config), "ln_", seed);
    }

    /** Uniform values around 0, and around 1 for the layer norms' gains (named with {@code norm}). */
    private static Map<String, Tensor> random(Map<String, long[]> shapes, String norm, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
            boolean gain = name.contains(norm) && name.endsWith("weight");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((r.nextDouble() - 0.5) * 0.6 + (gain ? 1 : 0));
            }
            out.put(name, Tensor.ofFloats(name, shape, v));
        });
        return out;
    }

    /** A random bert encoder in Hugging Face's {@code BertModel} layout (no {@code bert.} prefix, no pooler). */
    public static Map<String, Tensor> randomBert(BertConfig config, long seed) {
        return random(BertLayout.shapes(config), "LayerNorm", seed);
    }

    /** Writes a complete bert model folder (an encoder, as an imported MiniLM is) and returns it. */
    public static Path writeBert(Path dir, Map<String, Tensor> tensors) {
        ModelFolder.write(dir, BERT, tensors.values(), TOKENIZER, KeelMetadata.create("kit", "import")
                .withVersion("kit-bert-1"));
        return dir;
    }

    /** Writes a complete gpt2 model folder and returns it. */
    public static Path writeGpt2(Path dir, Map<String, Tensor> tensors) {
        ModelFolder.write(dir, GPT2, tensors.values(), TOKENIZER, KeelMetadata.create("kit", "import")
                .withVersion("kit-1"));
        return dir;
    }

    public static Path writeCorpus(Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve("corpus.txt"), TEXT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps the kit's token caches out of the user's home. */
    public static void tokenCacheIn(Path dir) {
        System.setProperty(CorpusTokenizer.CACHE_PROPERTY, dir.resolve("token-cache").toString());
    }

    public static TrainingConfig.Builder training() {
        return TrainingConfig.builder().maxSteps(30).batchSize(8).blockSize(16).learningRate(1e-2)
                .minLearningRate(1e-3).warmupSteps(3).evalInterval(15).evalIters(2).logInterval(5).seed(11);
    }

    public static PretrainSpec.Builder pretrain(Path corpus, Path out) {
        return PretrainSpec.builder().architecture(GPT2).corpus(corpus).outputDir(out).training(training().build());
    }
}
