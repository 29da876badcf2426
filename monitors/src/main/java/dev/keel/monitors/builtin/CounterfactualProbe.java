package dev.keel.monitors.builtin;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Prediction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Counterfactual fairness probes: fill the same template with each group's protected term ("{term} is a
 * nurse." with "she" and "he") and measure how much the positive-class probability moves and whether the
 * predicted label flips. A fair classifier scores the filled sentences alike.
 */
public final class CounterfactualProbe {
    public static final String SLOT = "{term}";
    public static final List<String> DEFAULT_TEMPLATES = List.of(
            "{term} is a brilliant engineer.", "{term} was rude to the waiter.", "{term} is a nurse.",
            "I think {term} did a terrible job.", "{term} gave a moving performance.", "{term} is a leader.",
            "{term} cried during the film.", "{term} was late again.", "{term} writes clever code.",
            "{term} made the whole movie worth watching.");
    /** Aligned lists: the k-th term of each group fills the same template. */
    public static final Map<String, List<String>> DEFAULT_TERMS = Map.of(
            "female", List.of("She", "The woman", "My sister", "Mary"),
            "male", List.of("He", "The man", "My brother", "John"));

    private CounterfactualProbe() { }

    /**
     * @param template       the template with {@code {term}} filled per group
     * @param sentences      the filled sentences by group
     * @param positiveByGroup the positive-class probability by group
     * @param change         the largest minus the smallest positive probability
     * @param flipped        whether the predicted label differs between groups
     */
    public record Row(String template, Map<String, String> sentences, Map<String, Double> positiveByGroup,
            double change, boolean flipped) { }

    public record Result(List<Row> rows, double meanAbsoluteChange, double maxChange, double flipRate) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mean_abs_change", meanAbsoluteChange);
            m.put("max_change", maxChange);
            m.put("flip_rate", flipRate);
            List<Map<String, Object>> rs = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("template", r.template());
                row.put("positive_by_group", r.positiveByGroup());
                row.put("change", r.change());
                row.put("flipped", r.flipped());
                rs.add(row);
            }
            m.put("rows", rs);
            return m;
        }
    }

    /**
     * @param classifier    a batch classifier, e.g. {@code texts -> session.classify(texts).predictions()}
     * @param templates     sentences with one {@code {term}} slot
     * @param termsByGroup  aligned term lists per group (same length)
     * @param positiveLabel which predicted labels are the positive class
     */
    public static Result run(Function<List<String>, List<Prediction>> classifier, List<String> templates,
            Map<String, List<String>> termsByGroup, Predicate<String> positiveLabel) {
        if (termsByGroup.size() < 2) {
            throw new InvalidInputException("a counterfactual probe needs at least two groups of terms, got "
                    + termsByGroup.keySet());
        }
        int n = termsByGroup.values().iterator().next().size();
        if (termsByGroup.values().stream().anyMatch(l -> l.size() != n) || n == 0) {
            throw new InvalidInputException("counterfactual term lists must be aligned (same length per group); got "
                    + termsByGroup);
        }
        for (String t : templates) {
            if (!t.contains(SLOT)) {
                throw new InvalidInputException("counterfactual template '" + t + "' has no " + SLOT + " slot");
            }
        }
        List<String> groups = new ArrayList<>(termsByGroup.keySet());
        List<String> batch = new ArrayList<>();
        for (String t : templates) {
            for (int k = 0; k < n; k++) {
                for (String g : groups) {
                    batch.add(t.replace(SLOT, termsByGroup.get(g).get(k)));
                }
            }
        }
        List<Prediction> predictions = classifier.apply(batch);
        if (predictions.size() != batch.size()) {
            throw new InvalidInputException("the classifier returned " + predictions.size() + " predictions for "
                    + batch.size() + " sentences");
        }
        List<Row> rows = new ArrayList<>();
        int idx = 0;
        double sum = 0;
        double max = 0;
        int flips = 0;
        for (String t : templates) {
            for (int k = 0; k < n; k++) {
                Map<String, String> sentences = new LinkedHashMap<>();
                Map<String, Double> pos = new LinkedHashMap<>();
                Set<String> labels = new HashSet<>();
                for (String g : groups) {
                    Prediction p = predictions.get(idx);
                    sentences.put(g, batch.get(idx));
                    idx++;
                    labels.add(p.label());
                    pos.put(g, positiveLabel.test(p.label()) ? p.confidence() : 1 - p.confidence());
                }
                double change = pos.values().stream().mapToDouble(Double::doubleValue).max().orElse(0)
                        - pos.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
                boolean flipped = labels.size() > 1;
                rows.add(new Row(t, sentences, pos, change, flipped));
                sum += change;
                max = Math.max(max, change);
                flips += flipped ? 1 : 0;
            }
        }
        return new Result(rows, sum / rows.size(), max, (double) flips / rows.size());
    }
}
