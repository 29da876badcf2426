package dev.keel.iterate.data;

import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One training or evaluation example of a round, with where it came from and how much it weighs in the loss.
 *
 * @param text   the input
 * @param label  the class name
 * @param source {@link #NEW}, {@link #REPLAY}, or {@code augmented:...} (counterfactual copies), kept in the
 *               round's data lineage
 * @param weight the example's loss weight (reweighing); 1 by default
 */
public record LabelledRow(String text, String label, String source, double weight) {
    public static final String NEW = "new";
    public static final String REPLAY = "replay";
    public static final String AUGMENTED_PREFIX = "augmented:";

    public LabelledRow {
        if (text == null || label == null || label.isBlank()) {
            throw new InvalidInputException("a labelled row needs a text and a label");
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new InvalidInputException("a row's weight must be a finite number >= 0, got " + weight);
        }
        label = label.trim();
        source = source == null ? NEW : source;
    }

    public static LabelledRow of(String text, String label) {
        return new LabelledRow(text, label, NEW, 1.0);
    }

    /**
     * Rows in a model's label names: when {@code names} are words (a model adapted with label names, such as
     * {@code negative,positive}) and a row's label is a class id 0..n-1, the row gets the name of that id, as
     * {@link Labels#classIdOf} reads such files for training and classification. Other rows are unchanged.
     */
    public static List<LabelledRow> inLabelNames(List<LabelledRow> rows, List<String> names) {
        if (names == null) {
            return rows;
        }
        List<LabelledRow> out = new java.util.ArrayList<>(rows.size());
        for (LabelledRow r : rows) {
            int id = Labels.classIdOf(r.label, names);
            out.add(id >= 0 ? new LabelledRow(r.text, names.get(id), r.source, r.weight) : r);
        }
        return out;
    }

    public LabelledRow withSource(String s) {
        return new LabelledRow(text, label, s, weight);
    }

    public LabelledRow withWeight(double w) {
        return new LabelledRow(text, label, source, w);
    }

    public LabelledRow withText(String t) {
        return new LabelledRow(t, label, source, weight);
    }

    /** The text as compared for duplicates and leakage ({@link TextKey}). */
    public String key() {
        return TextKey.of(text);
    }

    public boolean augmented() {
        return source.startsWith(AUGMENTED_PREFIX);
    }

    /** One JSONL line's fields: text, label, source, weight (the adapters read text and label). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text);
        m.put("label", label);
        m.put("source", source);
        m.put("weight", weight);
        return m;
    }
}
