package dev.keel.djl.internal.bert;

import dev.keel.djl.internal.DjlEngine;
import ai.djl.ndarray.NDManager;
import dev.keel.api.model.BertConfig;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small random bert folders and a toy sentiment task for tests that must run in seconds. */
final class TinyBert {
    static final String ALPHABET = " abcdefghijklmnopqrstuvwxyz!.";

    private TinyBert() { }

    static CharTokenizer tokenizer() {
        return CharTokenizer.fromText(ALPHABET);
    }

    static BertConfig config() {
        return new BertConfig(tokenizer().vocabSize(), 32, 2, 4, 64, 64, 2, 0.1, 0.1, 1e-12, List.of());
    }

    /** A random base folder, as an imported encoder would be (no classifier, no prefix). */
    static Path write(Path dir, long seed) {
        try (NDManager m = DjlEngine.newManager(ai.djl.Device.cpu());
                BertModel model = BertModel.random(m.newSubManager(), config(), seed)) {
            ModelFolder.write(dir, config(), model.encoderTensors(""), tokenizer(),
                    KeelMetadata.create("test", "random"));
        }
        return dir;
    }

    /** Sentences whose label is decided by one sentiment word among neutral ones. */
    static Path toySentiment(Path file, int n, long seed, double positiveShare) throws IOException {
        String[] pos = {"good", "great", "nice", "fine"};
        String[] neg = {"bad", "awful", "poor", "sad"};
        String[] filler = {"the movie", "a film", "this food", "my day", "the show"};
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean p = r.nextDouble() < positiveShare;
            String word = p ? pos[r.nextInt(pos.length)] : neg[r.nextInt(neg.length)];
            String f = filler[r.nextInt(filler.length)];
            lines.add((r.nextBoolean() ? f + " was " + word : word + " " + f) + "\t" + (p ? "positive" : "negative"));
        }
        Files.write(file, lines);
        return file;
    }
}
