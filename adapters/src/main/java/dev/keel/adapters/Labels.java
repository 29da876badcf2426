package dev.keel.adapters;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The classes of a classification task, in a fixed order that becomes the model's output index. Integer
 * labels sort numerically (so SST-2's {@code 0}/{@code 1} keep their meaning), names alphabetically, so the
 * same training file always yields the same order whatever its row order.
 */
public final class Labels {
    /** Longer than this, a "label" is almost surely text in the wrong column. */
    static final int MAX_LABEL_CHARS = 100;
    /** More classes than this is almost surely a file whose columns are swapped. */
    static final int MAX_CLASSES = 1000;

    private final List<String> names;
    private final Map<String, Integer> index;

    private Labels(List<String> names) {
        this.names = List.copyOf(names);
        this.index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
    }

    /** Labels as a model stored them (config.json's id2label), order kept. */
    public static Labels of(List<String> names) {
        if (names == null || names.size() < 2) {
            throw new InvalidInputException("a classifier needs at least two labels, got " + names);
        }
        if (new LinkedHashSet<>(names).size() != names.size()) {
            throw new InvalidInputException("labels " + names + " repeat a name; each class needs a unique label");
        }
        return new Labels(names);
    }

    /** The label set of a training file, checked for the usual mistakes. */
    public static Labels fromExamples(List<LabelledExample> examples, String source) {
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < examples.size(); i++) {
            LabelledExample e = examples.get(i);
            if (!e.hasLabel()) {
                throw new InvalidInputException(source + " example " + (i + 1) + " has no label; classification "
                        + "needs TSV text<TAB>label, CSV with a text,label header, or JSONL with a label field");
            }
            String label = e.label().trim();
            if (label.length() > MAX_LABEL_CHARS) {
                throw new InvalidInputException(source + " example " + (i + 1) + " has a label of " + label.length()
                        + " characters (\"" + label.substring(0, 40) + "...\"); is the text in the label column? "
                        + "TSV rows are text<TAB>label, label last");
            }
            seen.add(label);
        }
        if (seen.size() > MAX_CLASSES || seen.size() > Math.max(2, examples.size() * 0.9)) {
            throw new InvalidInputException(source + " has " + seen.size() + " distinct labels in "
                    + examples.size() + " examples; almost every example has its own label, so the label column "
                    + "probably holds text; check the file's columns");
        }
        return ordered(seen, source);
    }

    /**
     * The label set of distinct labels counted elsewhere (a distributed count of a training set), ordered as
     * {@link #fromExamples} orders them: integers numerically, names alphabetically.
     */
    public static Labels ordered(Set<String> seen, String source) {
        if (seen.size() < 2) {
            throw new InvalidInputException(source + " uses only the label " + seen + "; a classifier needs "
                    + "examples of at least two labels");
        }
        long numeric = seen.stream().filter(Labels::isInteger).count();
        List<String> sorted = new ArrayList<>(seen);
        if (numeric == seen.size()) {
            sorted.sort(Comparator.comparingLong(Long::parseLong));
        } else if (numeric > 0) {
            List<String> ints = seen.stream().filter(Labels::isInteger).toList();
            List<String> names = seen.stream().filter(l -> !isInteger(l)).limit(5).toList();
            throw new InvalidInputException(source + " mixes integer labels " + ints + " with names " + names
                    + "; use one kind of label throughout (e.g. 0/1 or negative/positive)");
        } else {
            sorted.sort(Comparator.naturalOrder());
        }
        return new Labels(sorted);
    }

    /**
     * The class a label means when it is a class id (0..n-1) and {@code names} are words (a model adapted with
     * {@code --label-names}), else -1: the one rule by which data labelled 0/1 reads against such a model.
     */
    public static int classIdOf(String label, List<String> names) {
        if (label == null || !isInteger(label.trim()) || names.stream().anyMatch(Labels::isInteger)) {
            return -1;
        }
        long id = Long.parseLong(label.trim());
        return id >= 0 && id < names.size() ? (int) id : -1;
    }

    private static boolean isInteger(String s) {
        return s.matches("-?\\d{1,18}");
    }

    public List<String> names() {
        return names;
    }

    public int size() {
        return names.size();
    }

    public String name(int i) {
        return names.get(i);
    }

    /**
     * These labels, which must be the class ids 0..n-1, renamed: id i becomes {@code names.get(i)}. For data
     * labelled with integers whose meaning the user knows (SST-2's 0 negative, 1 positive).
     */
    public Labels named(List<String> names, String source) {
        boolean ids = true;
        for (int i = 0; i < this.names.size(); i++) {
            ids &= this.names.get(i).equals(Integer.toString(i));
        }
        if (!ids || this.names.size() != names.size()) {
            throw new InvalidInputException(source + " has the labels " + this.names + ", but --label-names " + names
                    + " names class ids 0.." + (names.size() - 1) + "; label names apply to data labelled 0, 1, 2, ... "
                    + "and need one name per id" + (ids ? " (give " + this.names.size() + " names)" : " (leave them out: "
                    + "these labels are names already)"));
        }
        for (String n : names) {
            if (n.isBlank() || n.length() > MAX_LABEL_CHARS || isInteger(n.trim())) {
                throw new InvalidInputException("label name '" + n + "' is " + (isInteger(n.trim()) ? "a number" : "blank "
                        + "or too long") + "; give words, e.g. --label-names negative,positive");
            }
        }
        return of(names.stream().map(String::trim).toList());
    }

    /**
     * The index of a label, failing with the example's position when the training data never used it. A label
     * that is a class id (0..n-1) of labels that are names means that class: files labelled 0/1 still read
     * against a model whose labels were named with {@code --label-names}.
     */
    public int indexOf(String label, String source, int exampleNumber) {
        Integer i = label == null ? null : index.get(label.trim());
        if (i == null) {
            int id = classIdOf(label, names);
            i = id >= 0 ? id : null;
        }
        if (i == null) {
            throw new InvalidInputException(source + " example " + exampleNumber + " has label '" + label
                    + "', which the model does not know (its labels: " + names + "); fix the label, or add "
                    + "examples of it to the training data and adapt again");
        }
        return i;
    }

    @Override
    public String toString() {
        return names.toString();
    }
}
