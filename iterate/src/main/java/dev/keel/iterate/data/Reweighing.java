package dev.keel.iterate.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Kamiran and Calders' reweighing, as AIF360's {@code Reweighing} computes it: each example of group g and
 * label y gets the weight {@code w(g, y) = n_g * n_y / (n * n_{g,y})}, the ratio of the count expected if
 * group and label were independent to the count observed. Under these weights the label is independent of
 * the group, so a model trained with them as sample weights loses the incentive to use the group as a cue.
 *
 * <p>Groups come from a resolver (the bias monitor's protected terms, {@link TermPairs#groupSpec()}); the
 * counts run over the rows that belong to a group, and rows of no group (or of two) keep their weight. The
 * weights multiply a row's existing weight.
 */
public final class Reweighing {
    private Reweighing() { }

    /**
     * @param rows    the rows with their new weights, in the same order
     * @param weights group -> label -> weight
     * @param counts  group -> label -> rows
     */
    public record Result(List<LabelledRow> rows, Map<String, Map<String, Double>> weights,
            Map<String, Map<String, Integer>> counts) { }

    public static Result apply(List<LabelledRow> rows, Function<String, String> groupOf) {
        Map<String, Map<String, Integer>> nGy = new TreeMap<>();
        Map<String, Integer> nG = new TreeMap<>();
        Map<String, Integer> nY = new TreeMap<>();
        String[] groups = new String[rows.size()];
        int n = 0;
        for (int i = 0; i < rows.size(); i++) {
            LabelledRow r = rows.get(i);
            String g = groupOf.apply(r.text());
            groups[i] = g;
            if (g == null) {
                continue;
            }
            n++;
            nG.merge(g, 1, Integer::sum);
            nY.merge(r.label(), 1, Integer::sum);
            nGy.computeIfAbsent(g, k -> new TreeMap<>()).merge(r.label(), 1, Integer::sum);
        }
        Map<String, Map<String, Double>> w = new LinkedHashMap<>();
        for (var ge : nGy.entrySet()) {
            Map<String, Double> byLabel = new LinkedHashMap<>();
            for (var ye : ge.getValue().entrySet()) {
                byLabel.put(ye.getKey(), (double) nG.get(ge.getKey()) * nY.get(ye.getKey()) / ((double) n * ye.getValue()));
            }
            w.put(ge.getKey(), byLabel);
        }
        List<LabelledRow> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            LabelledRow r = rows.get(i);
            out.add(groups[i] == null ? r : r.withWeight(r.weight() * w.get(groups[i]).get(r.label())));
        }
        return new Result(out, w, nGy);
    }
}
