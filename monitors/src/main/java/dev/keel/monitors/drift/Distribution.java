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
        double[] all = new double[reference.length + current.length];
        System.arraycopy(reference, 0, all, 0, reference.length);
        System.arraycopy(current, 0, all, reference.length, current.length);
        Arrays.sort(all);
        double lo = quantile(all, 0.005);
        double hi = quantile(all, 0.995);
        if (!(hi > lo)) {
            hi = lo + Math.max(1e-9, Math.abs(lo) * 1e-6);
        }
        double width = (hi - lo) / NUMERIC_BINS;
        List<String> labels = new ArrayList<>(NUMERIC_BINS);
        for (int i = 0; i < NUMERIC_BINS; i++) {
            labels.add(edge(lo + i * width));
        }
        return new Distribution(labels, shares(reference, lo, width), shares(current, lo, width));
    }

    public static Distribution categorical(List<String> reference, List<String> current) {
        Map<String, Integer> frequency = new TreeMap<>();
        reference.forEach(v -> frequency.merge(String.valueOf(v), 1, Integer::sum));
        current.forEach(v -> frequency.merge(String.valueOf(v), 1, Integer::sum));
        List<String> order = new ArrayList<>(frequency.keySet());
        order.sort((a, b) -> Integer.compare(frequency.get(b), frequency.get(a)));
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
        return new Distribution(labels, shares(reference, kept, labels.size()), shares(current, kept, labels.size()));
    }

    private static boolean isNumber(String s) {
        try {
            return Double.isFinite(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static double quantile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
    }

    private static double[] shares(double[] values, double lo, double width) {
        double[] s = new double[NUMERIC_BINS];
        for (double v : values) {
            int i = (int) Math.floor((v - lo) / width);
            s[Math.max(0, Math.min(NUMERIC_BINS - 1, i))]++;
        }
        return normalise(s, values.length);
    }

    private static double[] shares(List<String> values, List<String> kept, int bins) {
        double[] s = new double[bins];
        for (String v : values) {
            int i = kept.indexOf(String.valueOf(v));
            s[i < 0 ? bins - 1 : i]++;
        }
        return normalise(s, values.size());
    }

    private static double[] normalise(double[] counts, int n) {
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
