package dev.keel.monitors.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One feature's reference and current distributions over the same bins, as shares of each sample: what a
 * report draws next to the test's verdict, so a reader sees how the feature moved, not only that it did.
 * Numeric features get equal-width bins between the 0.5th and 99.5th percentiles of both samples together
 * (values beyond fall into the end bins, so one outlier cannot squash the picture); categorical features one
 * bin per category, the most frequent first, the rest pooled as "other".
 *
 * @param bins      bin labels (a numeric bin is named by its lower edge)
 * @param reference the reference sample's share in each bin
 * @param current   the current sample's share in each bin
 */
public record Distribution(List<String> bins, double[] reference, double[] current) {
    public static final int NUMERIC_BINS = 20;
    public static final int MAX_CATEGORIES = 12;

    public Distribution {
        bins = List.copyOf(bins);
        reference = reference.clone();
        current = current.clone();
        if (reference.length != bins.size() || current.length != bins.size()) {
            throw new IllegalArgumentException("one share per bin on both sides: " + bins.size() + " bins, "
                    + reference.length + " and " + current.length + " shares");
        }
    }

    @Override
    public double[] reference() {
        return reference.clone();
    }

    @Override
    public double[] current() {
        return current.clone();
    }

    public static Distribution numeric(double[] reference, double[] current) {
        return numeric(ValueHistogram.of(reference, current));
    }

    /** The same picture from value counts, as a distributed count (Spark) delivers them. */
    public static Distribution numeric(ValueHistogram h) {
        double[] values = h.values();
        long[] ref = h.reference();
        long[] cur = h.current();
        long all = h.referenceRows() + h.currentRows();
        double lo = quantile(values, ref, cur, all, 0.005);
        double hi = quantile(values, ref, cur, all, 0.995);
        if (!(hi > lo)) {
            hi = lo + Math.max(1e-9, Math.abs(lo) * 1e-6);
        }
        double width = (hi - lo) / NUMERIC_BINS;
        List<String> labels = new ArrayList<>(NUMERIC_BINS);
        for (int i = 0; i < NUMERIC_BINS; i++) {
            labels.add(edge(lo + i * width));
        }
        double[] r = new double[NUMERIC_BINS];
        double[] c = new double[NUMERIC_BINS];
        for (int k = 0; k < values.length; k++) {
            int i = Math.max(0, Math.min(NUMERIC_BINS - 1, (int) Math.floor((values[k] - lo) / width)));
            r[i] += ref[k];
            c[i] += cur[k];
        }
        return new Distribution(labels, normalise(r, h.referenceRows()), normalise(c, h.currentRows()));
    }

    public static Distribution categorical(List<String> reference, List<String> current) {
        java.util.SortedMap<String, long[]> counts = new TreeMap<>();
        reference.forEach(v -> counts.computeIfAbsent(String.valueOf(v), k -> new long[2])[0]++);
        current.forEach(v -> counts.computeIfAbsent(String.valueOf(v), k -> new long[2])[1]++);
        return categorical(counts);
    }

    /** The same picture from category counts ({reference, current} per category), as Spark delivers them. */
    public static Distribution categorical(java.util.SortedMap<String, long[]> counts) {
        List<String> order = new ArrayList<>(counts.keySet());
        order.sort((a, b) -> Long.compare(counts.get(b)[0] + counts.get(b)[1], counts.get(a)[0] + counts.get(a)[1]));
        boolean pooled = order.size() > MAX_CATEGORIES;
        List<String> kept = pooled ? new ArrayList<>(order.subList(0, MAX_CATEGORIES - 1)) : order;
        boolean numbers = kept.stream().allMatch(Distribution::isNumber);
        if (numbers) {
            // a numeric feature with few values, compared as categories: drawn in value order, values shortened
            kept.sort(java.util.Comparator.comparingDouble(Double::parseDouble));
        }
        List<String> labels = new ArrayList<>();
        kept.forEach(k -> labels.add(numbers ? edge(Double.parseDouble(k)) : k));
        if (pooled) {
            labels.add("other");
        }
        double[] r = new double[labels.size()];
        double[] c = new double[labels.size()];
        long refRows = 0;
        long curRows = 0;
        for (var e : counts.entrySet()) {
            int i = kept.indexOf(e.getKey());
            i = i < 0 ? labels.size() - 1 : i;
            r[i] += e.getValue()[0];
            c[i] += e.getValue()[1];
            refRows += e.getValue()[0];
            curRows += e.getValue()[1];
        }
        return new Distribution(labels, normalise(r, refRows), normalise(c, curRows));
    }

    private static boolean isNumber(String s) {
        try {
            return Double.isFinite(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The value at {@code round(q * (n - 1))} of both samples sorted together, read from the counts. */
    private static double quantile(double[] values, long[] ref, long[] cur, long n, double q) {
        long index = Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))));
        long seen = 0;
        for (int k = 0; k < values.length; k++) {
            seen += ref[k] + cur[k];
            if (seen > index) {
                return values[k];
            }
        }
        return values[values.length - 1];
    }

    private static double[] normalise(double[] counts, long n) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = n == 0 ? 0 : counts[i] / n;
        }
        return counts;
    }

    private static String edge(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        return Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? String.format(Locale.ROOT, "%.3g", v)
                : String.format(Locale.ROOT, "%.2e", v);
    }

    /** The JSON form: {@code bins}, {@code reference} and {@code current} shares. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bins", bins);
        m.put("reference", Arrays.stream(reference).boxed().toList());
        m.put("current", Arrays.stream(current).boxed().toList());
        return m;
    }
}
