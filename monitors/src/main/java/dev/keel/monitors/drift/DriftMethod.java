package dev.keel.monitors.drift;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The statistical tests and distances a feature can be compared with, each with Evidently's default
 * threshold. A test's threshold is a p-value (drift when {@code p < threshold}); a distance's is the
 * distance itself (drift when {@code statistic >= threshold}).
 */
public enum DriftMethod {
    /** Chosen per feature by type and sample size, as Evidently does. */
    AUTO("auto", Double.NaN, false),
    /** Two-sample Kolmogorov-Smirnov, numeric features with at most 1,000 reference rows. */
    KS("ks", 0.05, true),
    /** Chi-square test of homogeneity, categorical features with more than two values and small samples. */
    CHI_SQUARE("chisquare", 0.05, true),
    /** Two-proportion z-test, binary features with small samples. */
    Z_TEST("z", 0.05, true),
    /** Wasserstein-1 distance divided by the reference standard deviation, large numeric samples. */
    WASSERSTEIN("wasserstein", 0.1, false),
    /** Jensen-Shannon distance (natural log), large categorical samples. */
    JENSEN_SHANNON("jensenshannon", 0.1, false),
    /** Population stability index over reference deciles; on request. */
    PSI("psi", 0.1, false);

    private final String id;
    private final double defaultThreshold;
    private final boolean pValue;

    DriftMethod(String id, double defaultThreshold, boolean pValue) {
        this.id = id;
        this.defaultThreshold = defaultThreshold;
        this.pValue = pValue;
    }

    public String id() {
        return id;
    }

    public double defaultThreshold() {
        return defaultThreshold;
    }

    /** Whether the threshold applies to a p-value (small means drift) rather than to a distance. */
    public boolean isPValue() {
        return pValue;
    }

    public static DriftMethod parse(String text) {
        for (DriftMethod m : values()) {
            if (m.id.equalsIgnoreCase(text) || m.name().equalsIgnoreCase(text)) {
                return m;
            }
        }
        throw new InvalidInputException("unknown drift method '" + text + "'; use one of "
                + Arrays.stream(values()).map(DriftMethod::id).toList());
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
