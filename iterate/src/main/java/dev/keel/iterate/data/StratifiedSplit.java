package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Splits new labelled data into a training part and a held-out part, per label (stratified) and seeded, so
 * the held-out part has the label mix of the data and the same seed gives the same split.
 *
 * <p>Duplicates are resolved first, so one text never lands on both sides: rows with the same
 * {@link TextKey} are one example, and when they disagree on the label the latest row (the last in the
 * file) wins, as feedback export resolves them; disagreements are counted.
 */
public final class StratifiedSplit {
    private StratifiedSplit() { }

    /**
     * @param train      rows to train on
     * @param heldout    rows held out for the quality gate
     * @param duplicates rows dropped as duplicates of an earlier row (same text)
     * @param conflicts  of those, the ones whose label differed (the latest label was kept)
     */
    public record Result(List<LabelledRow> train, List<LabelledRow> heldout, int duplicates, int conflicts) {
        public Result {
            train = List.copyOf(train);
            heldout = List.copyOf(heldout);
        }
    }

    /**
     * @param rows            the new data
     * @param heldoutFraction share of each label held out, in [0, 1); a label with at least two rows keeps at
     *                        least one on each side when the fraction is above 0
     * @param seed            the shuffle's seed
     */
    public static Result split(List<LabelledRow> rows, double heldoutFraction, long seed) {
        if (!(heldoutFraction >= 0 && heldoutFraction < 1)) {
            throw new InvalidInputException("the held-out fraction must be in [0, 1), got " + heldoutFraction);
        }
        Map<String, LabelledRow> latest = new LinkedHashMap<>();
        int duplicates = 0;
        int conflicts = 0;
        for (LabelledRow r : rows) {
            LabelledRow before = latest.remove(r.key());
            if (before != null) {
                duplicates++;
                if (!before.label().equals(r.label())) {
                    conflicts++;
                }
            }
            latest.put(r.key(), r); // re-inserted: a row's position is its latest occurrence
        }
        Map<String, List<LabelledRow>> byLabel = new LinkedHashMap<>();
        for (LabelledRow r : latest.values()) {
            byLabel.computeIfAbsent(r.label(), l -> new ArrayList<>()).add(r);
        }
        List<LabelledRow> train = new ArrayList<>();
        List<LabelledRow> heldout = new ArrayList<>();
        Random random = new Random(seed);
        for (List<LabelledRow> group : sortedByLabel(byLabel)) {
            List<LabelledRow> shuffled = new ArrayList<>(group);
            Collections.shuffle(shuffled, random);
            int n = shuffled.size();
            int held = heldoutCount(n, heldoutFraction);
            heldout.addAll(shuffled.subList(0, held));
            train.addAll(shuffled.subList(held, n));
        }
        return new Result(train, heldout, duplicates, conflicts);
    }

    /**
     * How many of {@code n} items a split holds out: {@code round(n * fraction)}, kept between one and
     * {@code n - 1} when there are two or more items and the fraction is positive, so both parts have something.
     * Classifier label groups, text blocks and prompt/response pairs are split by this one rule.
     */
    public static int heldoutCount(int n, double fraction) {
        int held = (int) Math.round(n * fraction);
        return fraction > 0 && n >= 2 ? Math.max(1, Math.min(n - 1, held)) : held;
    }

    /** Label groups in label order, so the split does not depend on which label the file mentions first. */
    static List<List<LabelledRow>> sortedByLabel(Map<String, List<LabelledRow>> byLabel) {
        List<String> labels = new ArrayList<>(byLabel.keySet());
        Collections.sort(labels);
        List<List<LabelledRow>> out = new ArrayList<>();
        for (String l : labels) {
            out.add(byLabel.get(l));
        }
        return out;
    }
}
