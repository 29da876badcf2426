package dev.keel.iterate.gate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateResult;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MLflow's {@code MetricThreshold} ({@code mlflow.models.MetricThreshold} with
 * {@code validate_evaluation_results}), checked the same way:
 * <ul>
 *   <li>{@code threshold}: the candidate must be {@code >= threshold} (or {@code <=} when lower is better);</li>
 *   <li>{@code min_absolute_change}: candidate {@code >= baseline + d} (lower is better: {@code <= baseline - d});</li>
 *   <li>{@code min_relative_change} r in [0, 1]: {@code (candidate - baseline) / baseline >= r} (lower is better:
 *       {@code (baseline - candidate) / baseline >= r}); with a baseline of 0 it falls back to
 *       {@code candidate >= baseline + 1e-10} ({@code <= baseline - 1e-10});</li>
 *   <li>a metric missing from the candidate fails; a change threshold whose baseline lacks the metric fails;
 *       when there is no baseline model at all (the first round has no champion) only {@code threshold}
 *       applies and the change checks are reported as not applicable;</li>
 *   <li>every configured check is evaluated and reported, none stops the others.</li>
 * </ul>
 * Two deliberate differences: bounds and relative changes are computed in decimal arithmetic on the numbers
 * as written, so {@code 0.85 + 0.01} is {@code 0.86} and a candidate of exactly 0.86 passes (MLflow adds in
 * binary floating point first and would fail it); and {@code min_absolute_change} may be 0 ("no worse than
 * the baseline") or negative ("lose at most |d|"), which Keel's bias and forgetting gates use, where MLflow
 * requires it positive.
 *
 * @param threshold          absolute bound, or null
 * @param minAbsoluteChange  required change against the baseline, or null
 * @param minRelativeChange  required relative change in [0, 1], or null
 * @param greaterIsBetter    the metric's direction (required)
 */
public record MetricThreshold(Double threshold, Double minAbsoluteChange, Double minRelativeChange,
        boolean greaterIsBetter) {

    /** The fallback MLflow uses for a relative change against a baseline of exactly 0. */
    public static final double ZERO_BASELINE_EPSILON = 1e-10;

    public MetricThreshold {
        if (threshold == null && minAbsoluteChange == null && minRelativeChange == null) {
            throw new InvalidInputException("a metric threshold needs at least one of threshold, min_abs_change and "
                    + "min_rel_change");
        }
        requireFinite("threshold", threshold);
        requireFinite("min_abs_change", minAbsoluteChange);
        requireFinite("min_rel_change", minRelativeChange);
        if (minRelativeChange != null && (minRelativeChange < 0 || minRelativeChange > 1)) {
            throw new InvalidInputException("min_rel_change must be between 0 and 1 (a share of the baseline), got "
                    + minRelativeChange);
        }
    }

    private static void requireFinite(String what, Double v) {
        if (v != null && (v.isNaN() || v.isInfinite())) {
            throw new InvalidInputException(what + " must be a finite number, got " + v);
        }
    }

    public static MetricThreshold atLeast(double threshold) {
        return new MetricThreshold(threshold, null, null, true);
    }

    public static MetricThreshold atMost(double threshold) {
        return new MetricThreshold(threshold, null, null, false);
    }

    /** The comparison operator that passes: {@code >=} when greater is better, else {@code <=}. */
    public String comparison() {
        return greaterIsBetter ? ">=" : "<=";
    }

    /**
     * Checks one metric of one evaluation set.
     *
     * @param kind          the gate family to report under
     * @param set           the evaluation set
     * @param metric        the metric
     * @param candidate     the challenger's value, null or NaN when missing
     * @param baseline      the champion's value, null or NaN when missing
     * @param hasBaseline   whether there is a baseline model at all (a champion)
     * @return one result per configured check, in the order threshold, absolute change, relative change
     */
    public List<GateResult> check(GateKind kind, String set, String metric, Double candidate,
            Double baseline, boolean hasBaseline) {
        List<GateResult> out = new ArrayList<>();
        boolean missingCandidate = candidate == null || candidate.isNaN();
        boolean missingBaseline = baseline == null || baseline.isNaN();
        double c = missingCandidate ? Double.NaN : candidate;
        double b = missingBaseline ? Double.NaN : baseline;
        String where = metric + "@" + set;
        if (threshold != null) {
            String name = where + " " + comparison() + " " + fmt(threshold);
            out.add(missingCandidate ? missing(kind, name, set, metric, b, threshold)
                    : result(kind, name, set, metric, c, b, BigDecimal.valueOf(threshold)));
        }
        if (minAbsoluteChange != null) {
            String name = where + ": min_abs_change " + fmt(minAbsoluteChange) + " vs champion";
            GateResult unavailable = unavailableChange(kind, name, set, metric, c, b, hasBaseline);
            if (unavailable != null) {
                out.add(unavailable);
            } else {
                BigDecimal d = BigDecimal.valueOf(minAbsoluteChange);
                BigDecimal bound = greaterIsBetter ? BigDecimal.valueOf(b).add(d) : BigDecimal.valueOf(b).subtract(d);
                out.add(result(kind, name, set, metric, c, b, bound));
            }
        }
        if (minRelativeChange != null) {
            String name = where + ": min_rel_change " + fmt(minRelativeChange) + " vs champion";
            GateResult unavailable = unavailableChange(kind, name, set, metric, c, b, hasBaseline);
            if (unavailable != null) {
                out.add(unavailable);
            } else if (b == 0) {
                BigDecimal eps = BigDecimal.valueOf(ZERO_BASELINE_EPSILON);
                BigDecimal bound = greaterIsBetter ? eps : eps.negate();
                GateResult r = result(kind, name, set, metric, c, b, bound);
                out.add(new GateResult(r.name(), kind, set, metric, c, b, r.threshold(), comparison(), r.passed(),
                        "the champion's " + metric + " is 0, so a relative change is undefined; as MLflow does, the "
                                + "challenger must simply be better (" + comparison() + " " + (greaterIsBetter ? "" : "-")
                                + "1e-10): " + r.detail()));
            } else {
                BigDecimal cd = BigDecimal.valueOf(c);
                BigDecimal bd = BigDecimal.valueOf(b);
                BigDecimal change = greaterIsBetter ? cd.subtract(bd) : bd.subtract(cd);
                BigDecimal relativeChange = change.divide(bd, java.math.MathContext.DECIMAL64);
                double relative = relativeChange.doubleValue();
                boolean passed = relativeChange.compareTo(BigDecimal.valueOf(minRelativeChange)) >= 0;
                // the bound the candidate had to reach, for people reading the report
                double bound = bd.multiply(BigDecimal.ONE.add(BigDecimal.valueOf(greaterIsBetter ? minRelativeChange
                        : -minRelativeChange))).doubleValue();
                out.add(new GateResult(name, kind, set, metric, c, b, bound, comparison(), passed,
                        String.format(Locale.ROOT, "relative change %+.4f %s required %.4f (%s %s %s)", relative,
                                passed ? ">=" : "<", minRelativeChange, fmt(c), passed ? comparison() : "misses", fmt(bound))));
            }
        }
        return out;
    }

    private GateResult result(GateKind kind, String name, String set, String metric, double c, double b,
            BigDecimal bound) {
        int cmp = BigDecimal.valueOf(c).compareTo(bound);
        boolean passed = greaterIsBetter ? cmp >= 0 : cmp <= 0;
        double t = bound.doubleValue();
        String detail = String.format(Locale.ROOT, "%s = %s %s %s%s", metric, fmt(c),
                passed ? comparison() : (greaterIsBetter ? "<" : ">"), fmt(t),
                Double.isNaN(b) ? "" : " (champion " + fmt(b) + ")");
        return new GateResult(name, kind, set, metric, c, b, t, comparison(), passed, detail);
    }

    /** A change check that cannot be computed (no champion, or a value missing on either side), else null. */
    private GateResult unavailableChange(GateKind kind, String name, String set, String metric, double c, double b,
            boolean hasBaseline) {
        if (!hasBaseline) {
            return notApplicable(kind, name, set, metric, c);
        }
        if (Double.isNaN(c)) {
            return missing(kind, name, set, metric, b, Double.NaN);
        }
        return Double.isNaN(b) ? missingBaseline(kind, name, set, metric, c) : null;
    }

    private GateResult missing(GateKind kind, String name, String set, String metric, double b, double t) {
        return new GateResult(name, kind, set, metric, Double.NaN, b, t, comparison(), false,
                metric + " was not measured for the challenger on " + set);
    }

    private GateResult missingBaseline(GateKind kind, String name, String set, String metric, double c) {
        return new GateResult(name, kind, set, metric, c, Double.NaN, Double.NaN, comparison(), false,
                metric + " is missing from the champion's evaluation on " + set + ", so the change cannot be checked");
    }

    private GateResult notApplicable(GateKind kind, String name, String set, String metric, double c) {
        return new GateResult(name, kind, set, metric, c, Double.NaN, Double.NaN, comparison(), true,
                "no champion to compare with (first round): only absolute thresholds apply");
    }

    /** A number as people write it: at most six decimals, no trailing zeros. */
    static String fmt(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        return BigDecimal.valueOf(v).setScale(6, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
    }
}
