package dev.keel.monitors.drift;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;

/**
 * One numeric feature of two samples reduced to its distinct values (ascending) and how often each occurs
 * in the reference and in the current sample. Every large-sample statistic of {@link DriftTests} (normed
 * Wasserstein, Kolmogorov-Smirnov, PSI, and the category counts of features with few values) is a function
 * of these counts alone, so a distributed engine can count values where the data lives and hand the
 * histogram to the same arithmetic; its size is the number of distinct values, not the number of rows.
 *
 * @param values    distinct values, strictly ascending
 * @param reference occurrences of each value in the reference sample
 * @param current   occurrences of each value in the current sample
 */
public record ValueHistogram(double[] values, long[] reference, long[] current) {
    public ValueHistogram {
        if (values.length != reference.length || values.length != current.length) {
            throw new InvalidInputException("a histogram needs one reference and one current count per value; got "
                    + values.length + " values, " + reference.length + " and " + current.length + " counts");
        }
        for (int i = 1; i < values.length; i++) {
            if (Double.compare(values[i - 1], values[i]) >= 0 || Double.isNaN(values[i])) {
                throw new InvalidInputException("histogram values must be distinct and ascending; value " + i
                        + " is " + values[i] + " after " + values[i - 1]);
            }
        }
    }

    /** Counts the values of two samples. */
    public static ValueHistogram of(double[] reference, double[] current) {
        TreeMap<Double, long[]> counts = new TreeMap<>();
        for (double v : reference) {
            counts.computeIfAbsent(v, k -> new long[2])[0]++;
        }
        for (double v : current) {
            counts.computeIfAbsent(v, k -> new long[2])[1]++;
        }
        return of(counts);
    }

    /** From value to {reference count, current count}, as a distributed count delivers it. */
    public static ValueHistogram of(SortedMap<Double, long[]> counts) {
        double[] values = new double[counts.size()];
        long[] ref = new long[counts.size()];
        long[] cur = new long[counts.size()];
        int i = 0;
        for (var e : counts.entrySet()) {
            values[i] = e.getKey();
            ref[i] = e.getValue()[0];
            cur[i] = e.getValue()[1];
            i++;
        }
        return new ValueHistogram(values, ref, cur);
    }

    public long referenceRows() {
        return Arrays.stream(reference).sum();
    }

    public long currentRows() {
        return Arrays.stream(current).sum();
    }

    public int distinct() {
        return values.length;
    }

    /**
     * The area between the two empirical distribution functions: the same terms, in the same order, as a walk
     * over both sorted samples (where repeated values add exact zeros), so the result is bit-identical.
     */
    public double wasserstein() {
        double nx = referenceRows();
        double ny = currentRows();
        long i = 0;
        long j = 0;
        double area = 0;
        for (int k = 0; k < values.length - 1; k++) {
            i += reference[k];
            j += current[k];
            area += Math.abs(i / nx - j / ny) * (values[k + 1] - values[k]);
        }
        return area;
    }

    /** The reference's population standard deviation (two-pass, with the rounding correction of Commons Math). */
    public double referenceStandardDeviation() {
        double n = referenceRows();
        double sum = 0;
        for (int k = 0; k < values.length; k++) {
            sum += reference[k] * values[k];
        }
        double mean = sum / n;
        double correction = 0;
        for (int k = 0; k < values.length; k++) {
            correction += reference[k] * (values[k] - mean);
        }
        mean += correction / n;
        double squares = 0;
        double deviations = 0;
        for (int k = 0; k < values.length; k++) {
            double dev = values[k] - mean;
            squares += reference[k] * dev * dev;
            deviations += reference[k] * dev;
        }
        return Math.sqrt(Math.max(0, (squares - deviations * deviations / n) / n));
    }

    /** Wasserstein-1 over the reference standard deviation (at least 0.001), Evidently's normed distance. */
    public double wassersteinNormed() {
        return wasserstein() / Math.max(referenceStandardDeviation(), 0.001);
    }

    /**
     * The Kolmogorov-Smirnov statistic times {@code n * m}, as Commons Math counts it: the largest gap between
     * the two step functions, in whole steps, so the statistic is exact.
     */
    public long ksIntegralStatistic() {
        long n = referenceRows();
        long m = currentRows();
        long cur = 0;
        long sup = 0;
        for (int k = 0; k < values.length; k++) {
            cur += reference[k] * m - current[k] * n;
            sup = Math.max(sup, Math.abs(cur));
        }
        return sup;
    }

    /**
     * Kolmogorov-Smirnov statistic and p-value. Commons Math's p-value of two samples whose sizes multiply to
     * less than {@link #KS_LARGE_PRODUCT} breaks ties with random jitter over the raw values, which a
     * histogram no longer holds: those samples must be tested as arrays ({@link DriftTests#ks}).
     */
    public double[] ks() {
        long n = referenceRows();
        long m = currentRows();
        if (n * m < KS_LARGE_PRODUCT) {
            throw new IllegalStateException("a KS test of " + n + " x " + m + " values needs the raw samples; "
                    + "use DriftTests.ks(double[], double[])");
        }
        double d = ksIntegralStatistic() / ((double) n * m);
        return new double[] {d, new KolmogorovSmirnovTest().approximateP(d, (int) n, (int) m)};
    }

    /** Below this product of sample sizes Commons Math computes an exact or Monte Carlo KS p-value. */
    public static final long KS_LARGE_PRODUCT = 10_000;

    /** The distinct inner cut points at the reference's 10%, 20%, ... 90% quantiles. */
    public double[] decileEdges() {
        long n = referenceRows();
        TreeSet<Double> edges = new TreeSet<>();
        double max = Double.NaN;
        for (int k = values.length - 1; k >= 0; k--) {
            if (reference[k] > 0) {
                max = values[k];
                break;
            }
        }
        for (int q = 1; q < 10; q++) {
            long idx = Math.max(0, Math.min(n - 1, (long) Math.ceil(q * n / 10.0) - 1));
            edges.add(referenceValueAt(idx));
        }
        edges.remove(max);
        return edges.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The value at position {@code idx} of the sorted reference sample. */
    private double referenceValueAt(long idx) {
        long seen = 0;
        for (int k = 0; k < values.length; k++) {
            seen += reference[k];
            if (seen > idx) {
                return values[k];
            }
        }
        throw new IllegalStateException("position " + idx + " is past the reference's " + seen + " values");
    }

    /** Population stability index over bins cut at the reference deciles. */
    public double psi() {
        double[] edges = decileEdges();
        long[] ref = new long[edges.length + 1];
        long[] cur = new long[edges.length + 1];
        for (int k = 0; k < values.length; k++) {
            int pos = Arrays.binarySearch(edges, values[k]);
            int bin = pos >= 0 ? pos : -pos - 1;
            ref[bin] += reference[k];
            cur[bin] += current[k];
        }
        return DriftTests.psiOfShares(DriftTests.proportions(ref), DriftTests.proportions(cur));
    }

    /** The values as category names (integers without a fraction), with their counts: {reference, current}. */
    public SortedMap<String, long[]> asCategories() {
        SortedMap<String, long[]> out = new TreeMap<>();
        for (int k = 0; k < values.length; k++) {
            long[] c = out.computeIfAbsent(DriftTests.label(values[k]), x -> new long[2]);
            c[0] += reference[k];
            c[1] += current[k];
        }
        return out;
    }
}
