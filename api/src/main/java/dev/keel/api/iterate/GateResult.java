package dev.keel.api.iterate;

import dev.keel.api.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One check of one gate, with everything needed to explain its verdict.
 *
 * @param name       what the check is, e.g. {@code accuracy@heldout >= 0.85} or
 *                   {@code forgetting@sst2-dev: accuracy >= champion - 0.01}
 * @param kind       the gate family
 * @param set        the evaluation set it was measured on ({@code heldout}, a golden set's name, {@code bias},
 *                   {@code shadow}, {@code serving:BACKEND})
 * @param metric     the metric compared
 * @param value      the challenger's value (NaN when it could not be measured)
 * @param baseline   the champion's value, NaN when there is no champion or the check does not use one
 * @param threshold  the bound the value was compared with, after any change was applied to the baseline
 * @param comparison {@code >=} or {@code <=}: how value and threshold must relate to pass
 * @param passed     the verdict
 * @param detail     one sentence for people: why it passed or failed
 */
public record GateResult(String name, GateKind kind, String set, String metric, double value, double baseline,
        double threshold, String comparison, boolean passed, String detail) {

    public GateResult {
        if (name == null || name.isBlank() || kind == null || metric == null) {
            throw new InvalidInputException("a gate result needs a name, a kind and a metric");
        }
        if (!">=".equals(comparison) && !"<=".equals(comparison)) {
            throw new InvalidInputException("a gate compares with >= or <=, not '" + comparison + "'");
        }
        detail = detail == null ? "" : detail;
    }

    /** The JSON shape of {@code keel iterate}: name, value, baseline, threshold, passed, and the rest. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("value", finiteOrNull(value));
        m.put("baseline", finiteOrNull(baseline));
        m.put("threshold", finiteOrNull(threshold));
        m.put("passed", passed);
        m.put("kind", kind.name().toLowerCase(java.util.Locale.ROOT));
        m.put("set", set);
        m.put("metric", metric);
        m.put("comparison", comparison);
        m.put("detail", detail);
        return m;
    }

    private static Double finiteOrNull(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
    }
}
