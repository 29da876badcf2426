package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The replay sample against forgetting: a seeded, label-stratified sample of the data that made the champion,
 * mixed into the challenger's training data.
 *
 * <p>The fraction is the share of the challenger's training set that is replayed: with {@code n} new rows and
 * fraction {@code f}, {@code round(n * f / (1 - f))} rows are replayed (0.2 with 1,000 new rows replays 250,
 * so a fifth of the 1,250 is old data), capped by the pool. Each label gets its share of the pool's mix.
 */
public final class Replay {
    private Replay() { }

    /** How many rows {@code fraction} asks for next to {@code newRows} new rows. */
    public static int count(int newRows, double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new InvalidInputException("the replay fraction is the share of the training set taken from the "
                    + "champion's data, in [0, 1); got " + fraction + " (e.g. --replay-fraction 0.2)");
        }
        return (int) Math.round(newRows * fraction / (1 - fraction));
    }

    /**
     * @param pool     the champion's training rows
     * @param newRows  how many new training rows the challenger gets
     * @param fraction the replay share of the training set, in [0, 1)
     * @param seed     the sample's seed
     * @return the sampled rows, marked {@link LabelledRow#REPLAY}
     */
    public static List<LabelledRow> sample(List<LabelledRow> pool, int newRows, double fraction, long seed) {
        int want = Math.min(count(newRows, fraction), pool.size());
        if (want == 0) {
            return List.of();
        }
        Map<String, List<LabelledRow>> byLabel = new LinkedHashMap<>();
        for (LabelledRow r : pool) {
            byLabel.computeIfAbsent(r.label(), l -> new ArrayList<>()).add(r);
        }
        Random random = new Random(seed);
        List<LabelledRow> out = new ArrayList<>(want);
        List<List<LabelledRow>> groups = StratifiedSplit.sortedByLabel(byLabel);
        // largest-remainder apportionment: each label's share of `want` by its share of the pool, summing to want
        int[] take = new int[groups.size()];
        double[] remainder = new double[groups.size()];
        int given = 0;
        for (int i = 0; i < groups.size(); i++) {
            double exact = (double) want * groups.get(i).size() / pool.size();
            take[i] = (int) Math.floor(exact);
            remainder[i] = exact - take[i];
            given += take[i];
        }
        while (given < want) {
            int best = 0;
            for (int i = 1; i < remainder.length; i++) {
                if (remainder[i] > remainder[best]) {
                    best = i;
                }
            }
            take[best]++;
            remainder[best] = -1;
            given++;
        }
        for (int i = 0; i < groups.size(); i++) {
            List<LabelledRow> shuffled = new ArrayList<>(groups.get(i));
            Collections.shuffle(shuffled, random);
            for (LabelledRow r : shuffled.subList(0, take[i])) {
                out.add(new LabelledRow(r.text(), r.label(), LabelledRow.REPLAY, 1.0)); // old weights belonged to the old mix
            }
        }
        return out;
    }
}
