package dev.keel.adapters;

import dev.keel.api.data.LabelledExample;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * A labelled file turned into texts and class indices. The training file defines the {@link Labels}; a dev
 * or test file is read against them, and a label they lack is an error naming the example.
 *
 * @param texts  the inputs
 * @param labels class indices, one per text
 * @param classes the label set
 */
public record ClassificationData(List<String> texts, int[] labels, Labels classes) {
    public int size() {
        return texts.size();
    }

    /** Reads a training file and derives its label set. */
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
        return of(examples, labels, file.toString());
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
        for (int i = 0; i < n; i++) {
            t.add(texts.get(idx.get(i)));
            y[i] = labels[idx.get(i)];
        }
        return new ClassificationData(t, y, classes);
    }
}
