package dev.keel.djl.internal.gpt2;

import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small, fast fixtures: a patterned corpus a tiny GPT learns in a few dozen steps, and matching settings. */
final class TinyCorpus {
    static final String TEXT;

    static {
        StringBuilder sb = new StringBuilder();
        String[] lines = {"the cat sat on the mat.\n", "a dog ran to the log.\n", "we see the sea and the sky.\n",
            "to be or not to be.\n"};
        for (int i = 0; i < 120; i++) {
            sb.append(lines[(i * 7) % lines.length]);
        }
        TEXT = sb.toString();
    }

    private TinyCorpus() { }

    static Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Path f = dir.resolve("corpus.txt");
            Files.writeString(f, TEXT);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Gpt2Config architecture() {
        return new Gpt2Config(1, 16, 32, 2, 2, 0.0, true, 1e-5);
    }

    static TrainingConfig.Builder training() {
        return TrainingConfig.builder().maxSteps(60).batchSize(8).blockSize(16).learningRate(1e-2)
                .minLearningRate(1e-3).warmupSteps(5).evalInterval(30).evalIters(4).logInterval(5).seed(7);
    }

    static PretrainSpec.Builder spec(Path corpus, Path out) {
        return PretrainSpec.builder().architecture(architecture()).corpus(corpus).outputDir(out)
                .training(training().build());
    }

    static void useTempTokenCache(Path dir) {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("token-cache").toString());
    }
}
