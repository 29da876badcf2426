package dev.keel.api.iterate;

import java.util.List;

/**
 * Every gate check of a round, evaluated to the end: a failure never hides the checks after it, so one
 * report says everything that stands between the challenger and promotion.
 *
 * @param results the checks in the order the gates were configured
 */
public record GateReport(List<GateResult> results) {
    public GateReport {
        results = results == null ? List.of() : List.copyOf(results);
    }

    /** True when no check failed (a round without gates passes, as MLflow's validation does). */
    public boolean passed() {
        return results.stream().allMatch(GateResult::passed);
    }

    public List<GateResult> failures() {
        return results.stream().filter(r -> !r.passed()).toList();
    }

    /** The checks of one gate family. */
    public List<GateResult> of(GateKind kind) {
        return results.stream().filter(r -> r.kind() == kind).toList();
    }
}
