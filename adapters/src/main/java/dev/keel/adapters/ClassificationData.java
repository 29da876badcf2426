package dev.keel.adapters;

import dev.keel.api.data.LabelledExample;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * A labelled file turned into texts and class indices. The training file defines the {@link Labels}; a dev
 * or test file is read against them, and a label they lack is an error naming the example.
 *
 * @param texts   the inputs
 * @param labels  class indices, one per text
 * @param classes the label set
 * @param weights per-example loss weights (a JSONL training file's {@code weight} field), or null when every
 *                example weighs 1
 */
public record ClassificationData(List<String> texts, int[] labels, Labels classes, float[] weights) {
    public ClassificationData {
        if (weights != null && weights.length != texts.size()) {
            throw new dev.keel.api.InvalidInputException("got " + weights.length + " sample weights for "
                    + texts.size() + " examples");
        }
    }

    public ClassificationData(List<String> texts, int[] labels, Labels classes) {
        this(texts, labels, classes, null);
    }

    public int size() {
        return texts.size();
    }

    /** Reads a training file, derives its label set, and keeps its sample weights (JSONL {@code weight}). */
    public static ClassificationData readTraining(Path file) {
        return readTraining(file, List.of());
    }

    /**
     * Reads a training file; with {@code labelNames}, its labels must be the class ids 0..n-1 and class i is
     * called {@code labelNames.get(i)} (the model then answers with names, and files labelled either way read
     * against it).
     */
    public static ClassificationData readTraining(Path file, List<String> labelNames) {
        List<LabelledExample> examples = LabelledFiles.readLabelled(file);
        Labels labels = Labels.fromExamples(examples, file.toString());
        if (!labelNames.isEmpty()) {
            labels = labels.named(labelNames, file.toString());
        }
        ClassificationData d = of(examples, labels, file.toString());
        return new ClassificationData(d.texts(), d.labels(), labels, LabelledFiles.sampleWeights(file));
    }

    /** The weight of example {@code i} (1 when the data carries none). */
    public float weight(int i) {
        return weights == null ? 1f : weights[i];
    }

    /** Reads a file against known labels (a dev set, or a labelled input to classify). */
    public static ClassificationData read(Path file, Labels known) {
        return of(LabelledFiles.readLabelled(file), known, file.toString());
    }

    public static ClassificationData of(List<LabelledExample> examples, Labels labels, String source) {
        int[] y = new int[examples.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.indexOf(examples.get(i).label(), source, i + 1);
        }
        return new ClassificationData(examples.stream().map(LabelledExample::text).toList(), y, labels);
    }

    /** Examples per class, in label order. */
    public int[] counts() {
        int[] c = new int[classes.size()];
        for (int y : labels) {
            c[y]++;
        }
        return c;
    }

    /** A seeded random subset of {@code n} examples (all of them when {@code n} is 0 or not smaller). */
    public ClassificationData subset(int n, long seed) {
        if (n <= 0 || n >= size()) {
            return this;
        }
        java.util.List<Integer> idx = new java.util.ArrayList<>();
        for (int i = 0; i < size(); i++) {
            idx.add(i);
        }
        java.util.Collections.shuffle(idx, new java.util.Random(seed));
        List<String> t = new java.util.ArrayList<>(n);
        int[] y = new int[n];
        float[] w = weights == null ? null : new float[n];
        for (int i = 0; i < n; i++) {
            t.add(texts.get(idx.get(i)));
            y[i] = labels[idx.get(i)];
            if (w != null) {
                w[i] = weights[idx.get(i)];
            }
        }
        return new ClassificationData(t, y, classes, w);
    }
}
