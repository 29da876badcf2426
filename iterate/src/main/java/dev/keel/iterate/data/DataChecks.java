package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks a round runs on its data before any training, so a round never trains on data that cannot give
 * a sound challenger or a sound verdict:
 * <ul>
 *   <li>empty new data, an empty training part, or an empty held-out part when quality gates need it: refused;</li>
 *   <li>new data or a training mixture of a single class: refused (it would teach the model one answer);</li>
 *   <li>labels the champion does not know: refused (the challenger would change the model's output space);
 *       champion labels absent from the new data: reported;</li>
 *   <li>leakage, training rows equal ({@link TextKey}) to a row of an evaluation set: dropped from training and
 *       reported by default, or refused under {@link Leakage#REFUSE}.</li>
 * </ul>
 * Every refusal is collected first, so one message names all of them.
 */
public final class DataChecks {
    /** What to do with training rows that also appear in an evaluation set. */
    public enum Leakage { DROP, REFUSE }

    /** How serious a finding is. */
    public enum Level { INFO, WARN, REFUSE }

    /**
     * @param level   how serious
     * @param check   which check ({@code empty}, {@code single_class}, {@code labels}, {@code leakage},
     *                {@code duplicates})
     * @param count   the rows concerned
     * @param message a sentence for people
     */
    public record Finding(Level level, String check, int count, String message) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("level", level.name().toLowerCase(java.util.Locale.ROOT));
            m.put("check", check);
            m.put("count", count);
            m.put("message", message);
            return m;
        }
    }

    /**
     * @param train    the training rows after the checks (leaked rows dropped)
     * @param findings what the checks found, refusals excluded (they throw)
     */
    public record Outcome(List<LabelledRow> train, List<Finding> findings) {
        public Outcome {
            train = List.copyOf(train);
            findings = List.copyOf(findings);
        }
    }

    private DataChecks() { }

    /**
     * @param newRows         the new data as given, before the split
     * @param split           its split into training and held-out parts
     * @param replay          the replayed rows
     * @param extra           further training rows (counterfactual copies), checked for leakage too
     * @param evaluationSets  set name -> texts that are evaluated (golden sets, bias probe sentences, shadow inputs)
     * @param championLabels  the champion's labels, or null when there is no champion
     * @param needsHeldout    whether a quality gate reads the held-out part
     * @param leakage         drop or refuse leaked rows
     * @throws InvalidInputException naming every refusal
     */
    public static Outcome run(List<LabelledRow> newRows, StratifiedSplit.Result split, List<LabelledRow> replay,
            List<LabelledRow> extra, Map<String, List<String>> evaluationSets, List<String> championLabels,
            boolean needsHeldout, Leakage leakage) {
        List<Finding> findings = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        if (newRows.isEmpty()) {
            refusals.add("the new data holds no rows; give a file with labelled examples (text<TAB>label)");
        }
        Set<String> newLabels = labels(newRows);
        if (newLabels.size() == 1) {
            refusals.add("the new data has only the label " + newLabels + " (" + newRows.size() + " rows); a round on "
                    + "one class would teach the model that answer, so add examples of the other labels");
        }
        if (!newRows.isEmpty() && split.train().isEmpty()) {
            refusals.add("after holding out rows, nothing is left to train on (" + newRows.size() + " new rows); "
                    + "give more data or lower the held-out fraction");
        }
        if (needsHeldout && !newRows.isEmpty() && split.heldout().isEmpty()) {
            refusals.add("the held-out part of the new data is empty, so the quality gate has nothing to measure; "
                    + "give more data or raise the held-out fraction");
        }
        if (split.duplicates() > 0) {
            findings.add(new Finding(split.conflicts() > 0 ? Level.WARN : Level.INFO, "duplicates", split.duplicates(),
                    split.duplicates() + " repeated texts in the new data were merged (the latest row wins)"
                            + (split.conflicts() > 0 ? "; " + split.conflicts() + " of them disagreed on the label" : "")));
        }
        if (championLabels != null && !championLabels.isEmpty()) {
            Set<String> unknown = new TreeSet<>(newLabels);
            championLabels.forEach(unknown::remove);
            if (!unknown.isEmpty()) {
                refusals.add("the new data has labels " + unknown + " that the champion does not know (its labels: "
                        + championLabels + "); a challenger must answer in the champion's labels, so fix the labels "
                        + "or train a new model with keel adapt");
            }
            Set<String> absent = new TreeSet<>(championLabels);
            absent.removeAll(newLabels);
            if (!absent.isEmpty() && !newRows.isEmpty()) {
                findings.add(new Finding(Level.WARN, "labels", 0, "the new data has no example of the champion's "
                        + "labels " + absent + "; only replayed data teaches them in this round"));
            }
        }

        // leakage: every training row against every evaluated text
        Map<String, String> evaluated = new HashMap<>();
        evaluationSets.forEach((set, texts) -> texts.forEach(t -> evaluated.putIfAbsent(TextKey.of(t), set)));
        split.heldout().forEach(r -> evaluated.putIfAbsent(r.key(), "heldout"));
        List<LabelledRow> candidates = new ArrayList<>(split.train());
        candidates.addAll(replay);
        candidates.addAll(extra);
        List<LabelledRow> kept = new ArrayList<>(candidates.size());
        Map<String, Integer> leakedBySet = new LinkedHashMap<>();
        for (LabelledRow r : candidates) {
            String set = evaluated.get(r.key());
            if (set == null) {
                kept.add(r);
            } else {
                leakedBySet.merge(set + " (" + r.source() + ")", 1, Integer::sum);
            }
        }
        int leaked = candidates.size() - kept.size();
        if (leaked > 0) {
            String where = leakedBySet.toString();
            if (leakage == Leakage.REFUSE) {
                refusals.add(leaked + " training rows are also evaluation rows " + where + "; an evaluation that "
                        + "saw its rows in training overstates the challenger, so remove them (or let the round drop "
                        + "them: leakage policy drop)");
            } else {
                findings.add(new Finding(Level.WARN, "leakage", leaked, leaked + " training rows equal to evaluation "
                        + "rows were dropped from training " + where));
            }
        }
        Set<String> mixLabels = labels(kept);
        if (refusals.isEmpty() && mixLabels.size() < 2) {
            refusals.add("the training mixture (new rows and replay) has only the labels " + mixLabels
                    + "; add examples of the other labels or replay the champion's data (--replay-fraction)");
        }
        if (!refusals.isEmpty()) {
            throw new InvalidInputException("the round's data was refused before training: "
                    + String.join("; ", refusals));
        }
        return new Outcome(leakage == Leakage.REFUSE ? candidates : kept, findings);
    }

    static Set<String> labels(List<LabelledRow> rows) {
        Set<String> s = new LinkedHashSet<>();
        rows.forEach(r -> s.add(r.label()));
        return s;
    }
}
