package dev.keel.monitors.drift;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;

/**
 * Compares one feature's reference and current values, choosing the test as Evidently does: with at most
 * 1,000 reference rows, Kolmogorov-Smirnov for numeric features with more than five distinct values,
 * chi-square for categorical ones with more than two, a two-proportion z-test for binary ones (all at
 * p &lt; 0.05); above 1,000 rows the normed Wasserstein distance for numeric and the Jensen-Shannon distance
 * for categorical features (both at 0.1), because with large samples every test finds a difference too
 * small to matter. PSI is there on request.
 *
 * <p>The tests and distributions come from Apache Commons Math. Chi-square is the two-sample test of
 * homogeneity rather than Evidently's goodness-of-fit against reference frequencies: it treats both samples
 * as samples and stays defined when a category is missing from the reference.
 */
public final class DriftTests {
    /** Evidently's switch from tests to distances. */
    public static final int LARGE_SAMPLE = 1_000;
    /** Numeric features with this many distinct values or fewer are compared as categories. */
    public static final int FEW_VALUES = 5;
    private static final double PSI_EPS = 1e-4;
    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0, 1);

    private DriftTests() { }

    /** The test Evidently picks for a feature. */
    public static DriftMethod choose(boolean numeric, int referenceRows, int distinctValues) {
        boolean asNumbers = numeric && distinctValues > FEW_VALUES;
        if (referenceRows <= LARGE_SAMPLE) {
            if (asNumbers) {
                return DriftMethod.KS;
            }
            return distinctValues > 2 ? DriftMethod.CHI_SQUARE : DriftMethod.Z_TEST;
        }
        return asNumbers ? DriftMethod.WASSERSTEIN : DriftMethod.JENSEN_SHANNON;
    }

    /** A numeric feature; {@code threshold} NaN means the method's default. */
    public static FeatureDrift numeric(String feature, double[] reference, double[] current, DriftMethod method,
            double threshold) {
        requireRows(feature, reference.length, current.length);
        DriftMethod m = method;
        if (m == DriftMethod.AUTO) {
            m = choose(true, reference.length, distinct(reference, current));
        }
        if (m == DriftMethod.KS) {
            // Commons Math breaks ties in small samples with jitter over the raw values: test the arrays
            return decide(feature, "numeric", m, ks(reference, current), threshold, reference.length, current.length)
                    .withDistribution(Distribution.numeric(ValueHistogram.of(reference, current)));
        }
        return numeric(feature, ValueHistogram.of(reference, current), m, threshold);
    }

    /**
     * A numeric feature from its value counts: what a distributed count (Spark) delivers. The same arithmetic
     * as the array form, so both give the same statistics; only a KS test of samples whose sizes multiply to
     * less than {@link ValueHistogram#KS_LARGE_PRODUCT} needs the arrays. The result carries the distributions
     * a report draws (a feature with few values compared as categories is drawn as them).
     */
    public static FeatureDrift numeric(String feature, ValueHistogram histogram, DriftMethod method, double threshold) {
        long refRows = histogram.referenceRows();
        long curRows = histogram.currentRows();
        requireRows(feature, refRows, curRows);
        DriftMethod m = method == DriftMethod.AUTO ? choose(true, rows(refRows), histogram.distinct()) : method;
        Distribution shape = Distribution.numeric(histogram);
        return switch (m) {
            case KS -> decide(feature, "numeric", m, histogram.ks(), threshold, refRows, curRows).withDistribution(shape);
            case WASSERSTEIN -> decide(feature, "numeric", m, new double[] {histogram.wassersteinNormed(), Double.NaN},
                    threshold, refRows, curRows).withDistribution(shape);
            case PSI -> decide(feature, "numeric", m, new double[] {histogram.psi(), Double.NaN}, threshold, refRows,
                    curRows).withDistribution(shape);
            case CHI_SQUARE, Z_TEST, JENSEN_SHANNON -> {
                FeatureDrift c = categorical(feature, histogram.asCategories(), m, threshold);
                yield new FeatureDrift(feature, "numeric", c.method(), c.statistic(), c.pValue(), c.threshold(),
                        c.drifted(), c.reference(), c.current(), c.distribution());
            }
            case AUTO -> throw new dev.keel.api.KeelException("AUTO is resolved to a test before this point");
        };
    }

    /** A categorical feature (class labels, flags); {@code threshold} NaN means the method's default. */
    public static FeatureDrift categorical(String feature, List<String> reference, List<String> current,
            DriftMethod method, double threshold) {
        requireRows(feature, reference.size(), current.size());
        SortedMap<String, long[]> counts = new TreeMap<>();
        for (String v : reference) {
            counts.computeIfAbsent(v, k -> new long[2])[0]++;
        }
        for (String v : current) {
            counts.computeIfAbsent(v, k -> new long[2])[1]++;
        }
        return categorical(feature, counts, method, threshold);
    }

    /**
     * A categorical feature from its category counts ({reference, current} per category, in category order):
     * what a distributed count delivers.
     */
    public static FeatureDrift categorical(String feature, SortedMap<String, long[]> counts, DriftMethod method,
            double threshold) {
        long[] ref = new long[counts.size()];
        long[] cur = new long[counts.size()];
        int i = 0;
        for (long[] c : counts.values()) {
            ref[i] = c[0];
            cur[i] = c[1];
            i++;
        }
        long refRows = Arrays.stream(ref).sum();
        long curRows = Arrays.stream(cur).sum();
        requireRows(feature, refRows, curRows);
        DriftMethod m = method == DriftMethod.AUTO ? choose(false, rows(refRows), counts.size()) : method;
        double[] sp = switch (m) {
            case CHI_SQUARE -> chiSquare(ref, cur);
            case Z_TEST -> zTest(ref, cur);
            case JENSEN_SHANNON -> new double[] {jensenShannon(ref, cur), Double.NaN};
            case PSI -> new double[] {psiOfShares(proportions(ref), proportions(cur)), Double.NaN};
            case KS, WASSERSTEIN -> throw new InvalidInputException("feature '" + feature + "' is categorical; "
                    + m.id() + " needs numbers; use chisquare, z, jensenshannon or psi");
            case AUTO -> throw new dev.keel.api.KeelException("AUTO is resolved to a test before this point");
        };
        return decide(feature, "categorical", m, sp, threshold, refRows, curRows)
                .withDistribution(Distribution.categorical(counts));
    }

    private static FeatureDrift decide(String feature, String kind, DriftMethod m, double[] statAndP, double threshold,
            long refRows, long curRows) {
        double t = Double.isNaN(threshold) ? m.defaultThreshold() : threshold;
        boolean drifted = m.isPValue() ? statAndP[1] < t : statAndP[0] >= t;
        return new FeatureDrift(feature, kind, m, statAndP[0], statAndP[1], t, drifted, rows(refRows), rows(curRows));
    }

    /** Kolmogorov-Smirnov statistic and p-value. */
    public static double[] ks(double[] reference, double[] current) {
        KolmogorovSmirnovTest test = new KolmogorovSmirnovTest();
        return new double[] {test.kolmogorovSmirnovStatistic(reference, current),
            test.kolmogorovSmirnovTest(reference, current)};
    }

    /** Chi-square statistic and p-value of the homogeneity test over category counts. */
    public static double[] chiSquare(long[] reference, long[] current) {
        long[][] both = dropEmpty(reference, current);
        if (both[0].length < 2) {
            return new double[] {0, 1};
        }
        ChiSquareTest test = new ChiSquareTest();
        return new double[] {test.chiSquareDataSetsComparison(both[0], both[1]),
            test.chiSquareTestDataSetsComparison(both[0], both[1])};
    }

    /** Two-proportion z statistic and two-sided p-value for the share of the first category. */
    public static double[] zTest(long[] reference, long[] current) {
        long n1 = Arrays.stream(reference).sum();
        long n2 = Arrays.stream(current).sum();
        double p1 = reference.length == 0 ? 0 : (double) reference[0] / n1;
        double p2 = current.length == 0 ? 0 : (double) current[0] / n2;
        double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        if (se == 0) {
            return new double[] {0, 1};
        }
        double z = (p1 - p2) / se;
        return new double[] {z, 2 * STANDARD_NORMAL.cumulativeProbability(-Math.abs(z))};
    }

    /** Wasserstein-1 distance between the empirical distributions over the reference standard deviation. */
    public static double wassersteinNormed(double[] reference, double[] current) {
        return ValueHistogram.of(reference, current).wassersteinNormed();
    }

    /** The area between the two empirical distribution functions. */
    public static double wasserstein(double[] a, double[] b) {
        return ValueHistogram.of(a, b).wasserstein();
    }

    /** Jensen-Shannon distance (the square root of the divergence, natural log) between count vectors. */
    public static double jensenShannon(long[] reference, long[] current) {
        double[] p = proportions(reference);
        double[] q = proportions(current);
        double div = 0;
        for (int i = 0; i < p.length; i++) {
            double m = (p[i] + q[i]) / 2;
            if (p[i] > 0) {
                div += 0.5 * p[i] * Math.log(p[i] / m);
            }
            if (q[i] > 0) {
                div += 0.5 * q[i] * Math.log(q[i] / m);
            }
        }
        return Math.sqrt(Math.max(0, div));
    }

    /**
     * Population stability index over bins cut at the reference deciles: the sum over bins of
     * {@code (cur - ref) * ln(cur / ref)} with empty bins counted as 0.0001.
     */
    public static double psi(double[] reference, double[] current) {
        return ValueHistogram.of(reference, current).psi();
    }

    /** PSI of two distributions over the same bins. */
    public static double psiOfShares(double[] referenceShare, double[] currentShare) {
        double sum = 0;
        for (int i = 0; i < referenceShare.length; i++) {
            double r = Math.max(referenceShare[i], PSI_EPS);
            double c = Math.max(currentShare[i], PSI_EPS);
            sum += (c - r) * Math.log(c / r);
        }
        return sum;
    }

    public static double[] proportions(long[] counts) {
        double n = Arrays.stream(counts).sum();
        double[] p = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            p[i] = n == 0 ? 0 : counts[i] / n;
        }
        return p;
    }

    private static long[][] dropEmpty(long[] a, long[] b) {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i] + b[i] > 0) {
                keep.add(i);
            }
        }
        long[][] out = new long[2][keep.size()];
        for (int k = 0; k < keep.size(); k++) {
            out[0][k] = a[keep.get(k)];
            out[1][k] = b[keep.get(k)];
        }
        return out;
    }

    private static int distinct(double[] a, double[] b) {
        Set<Double> s = new HashSet<>();
        for (double v : a) {
            s.add(v);
            if (s.size() > FEW_VALUES) {
                return s.size();
            }
        }
        for (double v : b) {
            s.add(v);
            if (s.size() > FEW_VALUES) {
                return s.size();
            }
        }
        return s.size();
    }

    /** A numeric value as a category name: integers without a fraction, others as Java prints them. */
    static String label(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** Row counts are reported as ints; a count past that range is reported as its largest value. */
    private static int rows(long n) {
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    private static void requireRows(String feature, long ref, long cur) {
        if (ref == 0 || cur == 0) {
            throw new InvalidInputException("feature '" + feature + "' has " + ref + " reference and " + cur
                    + " current values; drift needs at least one row on each side");
        }
    }
}
