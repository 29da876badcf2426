package dev.keel.monitors.drift;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.ranking.NaturalRanking;

/**
 * Drift of sentence embeddings, where single coordinates mean little: can a classifier tell reference
 * vectors from current ones (Evidently's domain classifier: drift when its held-out ROC AUC exceeds 0.55),
 * and the kernel maximum mean discrepancy with a permutation p-value.
 *
 * <p>With small samples a chance AUC scatters widely around 0.5 (its standard deviation is
 * {@code sqrt((n1+n2+1)/(12 n1 n2))}, 0.08 with 25 test rows a side), so the AUC threshold is raised to the
 * 95th percentile of that null distribution when it exceeds 0.55; Evidently guards small samples the same
 * way with a bootstrap.
 */
public final class EmbeddingDrift {
    public static final double AUC_THRESHOLD = 0.55;
    private static final double Z95 = new NormalDistribution(null, 0, 1).inverseCumulativeProbability(0.95);

    private EmbeddingDrift() { }

    /**
     * @param auc       held-out ROC AUC of reference-vs-current
     * @param threshold the AUC above which the samples count as drifted
     * @param drifted   whether they did
     */
    public record DomainClassifierResult(double auc, double threshold, boolean drifted, int trainRows, int testRows) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("feature", "embedding");
            m.put("test", "domain_classifier_auc");
            m.put("statistic", auc);
            m.put("threshold", threshold);
            m.put("drifted", drifted);
            return m;
        }
    }

    /**
     * @param mmd2      unbiased squared MMD with a Gaussian kernel (bandwidth: median pairwise distance)
     * @param pValue    share of label permutations with an MMD at least as large
     * @param threshold the p-value limit
     * @param drifted   whether {@code pValue < threshold}
     */
    public record MmdResult(double mmd2, double pValue, double threshold, boolean drifted) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("feature", "embedding");
            m.put("test", "mmd");
            m.put("statistic", mmd2);
            m.put("p_value", pValue);
            m.put("threshold", threshold);
            m.put("drifted", drifted);
            return m;
        }
    }

    /** Trains a logistic regression on half of each sample and scores the other half. */
    public static DomainClassifierResult domainClassifier(float[][] reference, float[][] current, long seed) {
        check(reference, current);
        Random rnd = new Random(seed);
        List<float[]> refTrain = new ArrayList<>();
        List<float[]> refTest = new ArrayList<>();
        List<float[]> curTrain = new ArrayList<>();
        List<float[]> curTest = new ArrayList<>();
        split(reference, rnd, refTrain, refTest);
        split(current, rnd, curTrain, curTest);
        if (refTest.isEmpty() || curTest.isEmpty()) {
            throw new InvalidInputException("the domain classifier needs at least 2 vectors on each side");
        }
        int d = reference[0].length;
        // standardise with the training half so that one large coordinate does not dominate the gradient
        double[] mean = new double[d];
        double[] sd = new double[d];
        int nTrain = refTrain.size() + curTrain.size();
        for (List<float[]> part : List.of(refTrain, curTrain)) {
            for (float[] v : part) {
                for (int j = 0; j < d; j++) {
                    mean[j] += v[j] / (double) nTrain;
                }
            }
        }
        for (List<float[]> part : List.of(refTrain, curTrain)) {
            for (float[] v : part) {
                for (int j = 0; j < d; j++) {
                    sd[j] += (v[j] - mean[j]) * (v[j] - mean[j]) / nTrain;
                }
            }
        }
        for (int j = 0; j < d; j++) {
            sd[j] = Math.sqrt(sd[j]) + 1e-8;
        }
        double[][] x = new double[nTrain][];
        double[] y = new double[nTrain];
        int r = 0;
        for (float[] v : refTrain) {
            x[r++] = standardise(v, mean, sd);
        }
        for (float[] v : curTrain) {
            y[r] = 1;
            x[r++] = standardise(v, mean, sd);
        }
        double[] w = logisticRegression(x, y, 1.0, 300, 0.5);
        double[] scores = new double[refTest.size() + curTest.size()];
        int k = 0;
        for (float[] v : refTest) {
            scores[k++] = dot(w, standardise(v, mean, sd));
        }
        for (float[] v : curTest) {
            scores[k++] = dot(w, standardise(v, mean, sd));
        }
        double auc = auc(Arrays.copyOfRange(scores, refTest.size(), scores.length),
                Arrays.copyOfRange(scores, 0, refTest.size()));
        int n1 = refTest.size();
        int n2 = curTest.size();
        double nullSd = Math.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2));
        double threshold = Math.max(AUC_THRESHOLD, 0.5 + Z95 * nullSd);
        return new DomainClassifierResult(auc, threshold, auc > threshold, nTrain, n1 + n2);
    }

    /** ROC AUC of positive scores against negative ones (ties count half), from average ranks. */
    public static double auc(double[] positive, double[] negative) {
        double[] all = new double[positive.length + negative.length];
        System.arraycopy(positive, 0, all, 0, positive.length);
        System.arraycopy(negative, 0, all, positive.length, negative.length);
        double[] ranks = new NaturalRanking().rank(all);
        double rankSum = 0;
        for (int i = 0; i < positive.length; i++) {
            rankSum += ranks[i];
        }
        double u = rankSum - positive.length * (positive.length + 1) / 2.0;
        return u / ((double) positive.length * negative.length);
    }

    /** Unbiased squared MMD and its permutation p-value over at most {@code maxRows} vectors a side. */
    public static MmdResult mmd(float[][] reference, float[][] current, int permutations, int maxRows, long seed) {
        check(reference, current);
        Random rnd = new Random(seed);
        float[][] a = subsample(reference, maxRows, rnd);
        float[][] b = subsample(current, maxRows, rnd);
        int n = a.length + b.length;
        float[][] all = new float[n][];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        double[][] dist2 = new double[n][n];
        List<Double> sample = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                for (int k = 0; k < all[i].length; k++) {
                    double diff = all[i][k] - all[j][k];
                    s += diff * diff;
                }
                dist2[i][j] = s;
                dist2[j][i] = s;
                if (sample.size() < 20_000 && rnd.nextInt(Math.max(1, n * n / 40_000)) == 0) {
                    sample.add(s);
                }
            }
        }
        double median = median(sample);
        double gamma = median > 0 ? 1.0 / median : 1.0;
        double[][] kernel = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                kernel[i][j] = i == j ? 1 : Math.exp(-gamma * dist2[i][j]);
            }
        }
        int[] labels = new int[n];
        for (int i = a.length; i < n; i++) {
            labels[i] = 1;
        }
        double observed = mmd2(kernel, labels, a.length, b.length);
        int atLeast = 0;
        int[] perm = labels.clone();
        for (int p = 0; p < permutations; p++) {
            shuffle(perm, rnd);
            if (mmd2(kernel, perm, a.length, b.length) >= observed) {
                atLeast++;
            }
        }
        double pValue = (atLeast + 1.0) / (permutations + 1.0);
        return new MmdResult(observed, pValue, 0.05, pValue < 0.05);
    }

    private static double mmd2(double[][] k, int[] labels, int n0, int n1) {
        double s00 = 0;
        double s11 = 0;
        double s01 = 0;
        for (int i = 0; i < k.length; i++) {
            for (int j = 0; j < k.length; j++) {
                if (i == j) {
                    continue;
                }
                if (labels[i] == 0 && labels[j] == 0) {
                    s00 += k[i][j];
                } else if (labels[i] == 1 && labels[j] == 1) {
                    s11 += k[i][j];
                } else {
                    s01 += k[i][j];
                }
            }
        }
        return s00 / ((double) n0 * (n0 - 1)) + s11 / ((double) n1 * (n1 - 1)) - s01 / ((double) n0 * n1);
    }

    private static double[] logisticRegression(double[][] x, double[] y, double l2, int iterations, double lr) {
        int d = x[0].length;
        double[] w = new double[d + 1];
        double[] grad = new double[d + 1];
        int n = x.length;
        for (int it = 0; it < iterations; it++) {
            Arrays.fill(grad, 0);
            for (int i = 0; i < n; i++) {
                double p = 1 / (1 + Math.exp(-dot(w, x[i])));
                double e = p - y[i];
                for (int j = 0; j < d; j++) {
                    grad[j] += e * x[i][j];
                }
                grad[d] += e;
            }
            for (int j = 0; j <= d; j++) {
                double reg = j < d ? l2 * w[j] : 0;
                w[j] -= lr * (grad[j] / n + reg / n);
            }
        }
        return w;
    }

    private static double dot(double[] w, double[] x) {
        double s = w[w.length - 1];
        for (int j = 0; j < x.length; j++) {
            s += w[j] * x[j];
        }
        return s;
    }

    private static double[] standardise(float[] v, double[] mean, double[] sd) {
        double[] out = new double[v.length];
        for (int j = 0; j < v.length; j++) {
            out[j] = (v[j] - mean[j]) / sd[j];
        }
        return out;
    }

    private static void split(float[][] rows, Random rnd, List<float[]> train, List<float[]> test) {
        int[] idx = new int[rows.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        shuffle(idx, rnd);
        for (int i = 0; i < idx.length; i++) {
            (i % 2 == 0 ? train : test).add(rows[idx[i]]);
        }
    }

    private static float[][] subsample(float[][] rows, int max, Random rnd) {
        if (rows.length <= max) {
            return rows;
        }
        int[] idx = new int[rows.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        shuffle(idx, rnd);
        float[][] out = new float[max][];
        for (int i = 0; i < max; i++) {
            out[i] = rows[idx[i]];
        }
        return out;
    }

    private static void shuffle(int[] a, Random rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return 1;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v[v.length / 2];
    }

    private static void check(float[][] reference, float[][] current) {
        if (reference.length < 2 || current.length < 2) {
            throw new InvalidInputException("embedding drift needs at least 2 vectors on each side; got "
                    + reference.length + " and " + current.length);
        }
        int d = reference[0].length;
        for (float[][] side : List.of(reference, current)) {
            for (float[] v : side) {
                if (v.length != d) {
                    throw new InvalidInputException("embedding vectors have different dimensions (" + d + " and "
                            + v.length + "); embed both samples with the same model");
                }
            }
        }
    }
}
