package dev.keel.monitors.drift;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
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
        return switch (m) {
            case KS -> decide(feature, "numeric", m, ks(reference, current), threshold, reference.length, current.length);
            case WASSERSTEIN -> decide(feature, "numeric", m, new double[] {wassersteinNormed(reference, current), Double.NaN},
                    threshold, reference.length, current.length);
            case PSI -> decide(feature, "numeric", m, new double[] {psi(reference, current), Double.NaN}, threshold,
                    reference.length, current.length);
            case CHI_SQUARE, Z_TEST, JENSEN_SHANNON -> {
                FeatureDrift c = categorical(feature, asLabels(reference), asLabels(current), m, threshold);
                yield new FeatureDrift(feature, "numeric", c.method(), c.statistic(), c.pValue(), c.threshold(),
                        c.drifted(), c.reference(), c.current());
            }
            case AUTO -> throw new dev.keel.api.KeelException("AUTO is resolved to a test before this point");
        };
    }

    /** A categorical feature (class labels, flags); {@code threshold} NaN means the method's default. */
    public static FeatureDrift categorical(String feature, List<String> reference, List<String> current,
            DriftMethod method, double threshold) {
        requireRows(feature, reference.size(), current.size());
        Set<String> categories = new TreeSet<>(reference);
        categories.addAll(current);
        DriftMethod m = method == DriftMethod.AUTO ? choose(false, reference.size(), categories.size()) : method;
        long[] ref = counts(reference, categories);
        long[] cur = counts(current, categories);
        double[] sp = switch (m) {
            case CHI_SQUARE -> chiSquare(ref, cur);
            case Z_TEST -> zTest(ref, cur);
            case JENSEN_SHANNON -> new double[] {jensenShannon(ref, cur), Double.NaN};
            case PSI -> new double[] {psiOfShares(proportions(ref), proportions(cur)), Double.NaN};
            case KS, WASSERSTEIN -> throw new InvalidInputException("feature '" + feature + "' is categorical; "
                    + m.id() + " needs numbers; use chisquare, z, jensenshannon or psi");
            case AUTO -> throw new dev.keel.api.KeelException("AUTO is resolved to a test before this point");
        };
        return decide(feature, "categorical", m, sp, threshold, reference.size(), current.size());
    }

    private static FeatureDrift decide(String feature, String kind, DriftMethod m, double[] statAndP, double threshold,
            int refRows, int curRows) {
        double t = Double.isNaN(threshold) ? m.defaultThreshold() : threshold;
        boolean drifted = m.isPValue() ? statAndP[1] < t : statAndP[0] >= t;
        return new FeatureDrift(feature, kind, m, statAndP[0], statAndP[1], t, drifted, refRows, curRows);
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
        double sd = new StandardDeviation(false).evaluate(reference);
        return wasserstein(reference, current) / Math.max(sd, 0.001);
    }

    /** The area between the two empirical distribution functions. */
    public static double wasserstein(double[] a, double[] b) {
        double[] x = a.clone();
        double[] y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        double[] all = new double[x.length + y.length];
        System.arraycopy(x, 0, all, 0, x.length);
        System.arraycopy(y, 0, all, x.length, y.length);
        Arrays.sort(all);
        double area = 0;
        int i = 0;
        int j = 0;
        for (int k = 0; k < all.length - 1; k++) {
            double v = all[k];
            while (i < x.length && x[i] <= v) {
                i++;
            }
            while (j < y.length && y[j] <= v) {
                j++;
            }
            area += Math.abs((double) i / x.length - (double) j / y.length) * (all[k + 1] - v);
        }
        return area;
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
        double[] edges = decileEdges(reference);
        return psiOfShares(proportions(binCounts(reference, edges)), proportions(binCounts(current, edges)));
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

    /** The distinct inner cut points at the reference's 10%, 20%, ... 90% quantiles. */
    static double[] decileEdges(double[] reference) {
        double[] sorted = reference.clone();
        Arrays.sort(sorted);
        TreeSet<Double> edges = new TreeSet<>();
        for (int k = 1; k < 10; k++) {
            int idx = (int) Math.ceil(k * sorted.length / 10.0) - 1;
            edges.add(sorted[Math.max(0, Math.min(sorted.length - 1, idx))]);
        }
        edges.remove(sorted[sorted.length - 1]);
        return edges.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Bin k holds values in (edge[k-1], edge[k]]; the last bin is above the last edge. */
    static long[] binCounts(double[] values, double[] edges) {
        long[] counts = new long[edges.length + 1];
        for (double v : values) {
            int pos = Arrays.binarySearch(edges, v);
            counts[pos >= 0 ? pos : -pos - 1]++;
        }
        return counts;
    }

    public static double[] proportions(long[] counts) {
        double n = Arrays.stream(counts).sum();
        double[] p = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            p[i] = n == 0 ? 0 : counts[i] / n;
        }
        return p;
    }

    public static long[] counts(List<String> values, Set<String> categories) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (String c : categories) {
            index.put(c, index.size());
        }
        long[] counts = new long[categories.size()];
        for (String v : values) {
            counts[index.get(v)]++;
        }
        return counts;
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

    private static List<String> asLabels(double[] values) {
        List<String> out = new ArrayList<>(values.length);
        for (double v : values) {
            out.add(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v));
        }
        return out;
    }

    private static void requireRows(String feature, int ref, int cur) {
        if (ref == 0 || cur == 0) {
            throw new InvalidInputException("feature '" + feature + "' has " + ref + " reference and " + cur
                    + " current values; drift needs at least one row on each side");
        }
    }
}
