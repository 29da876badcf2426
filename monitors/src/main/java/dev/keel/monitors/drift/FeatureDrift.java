package dev.keel.monitors.drift;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One feature compared between reference and current data.
 *
 * @param feature    the feature's name
 * @param kind       {@code numeric} or {@code categorical}
 * @param method     the test or distance used
 * @param statistic  the test statistic or the distance
 * @param pValue     the p-value for tests, NaN for distances
 * @param threshold  the limit the decision used
 * @param drifted    whether the feature drifted
 * @param reference  rows in the reference sample
 * @param current    rows in the current sample
 * @param distribution both samples' distributions over the same bins, for reports; null when not kept
 */
public record FeatureDrift(String feature, String kind, DriftMethod method, double statistic, double pValue,
        double threshold, boolean drifted, int reference, int current, Distribution distribution) {

    /** A result without distributions. */
    public FeatureDrift(String feature, String kind, DriftMethod method, double statistic, double pValue,
            double threshold, boolean drifted, int reference, int current) {
        this(feature, kind, method, statistic, pValue, threshold, drifted, reference, current, null);
    }

    /** The same result, carrying the distributions it was decided on. */
    public FeatureDrift withDistribution(Distribution d) {
        return new FeatureDrift(feature, kind, method, statistic, pValue, threshold, drifted, reference, current, d);
    }

    /** The value compared with the threshold: the p-value for a test, the statistic for a distance. */
    public double score() {
        return method.isPValue() ? pValue : statistic;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("feature", feature);
        m.put("kind", kind);
        m.put("test", method.id());
        m.put("statistic", statistic);
        if (method.isPValue()) {
            m.put("p_value", pValue);
        }
        m.put("threshold", threshold);
        m.put("drifted", drifted);
        m.put("reference_rows", reference);
        m.put("current_rows", current);
        if (distribution != null) {
            m.put("distribution", distribution.toMap());
        }
        return m;
    }
}
