package dev.keel.iterate.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateReport;
import dev.keel.api.iterate.GateResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every gate kind against values worked out by hand, MLflow's MetricThreshold rules included. */
class GateArithmeticTest {

    private static List<GateResult> check(MetricThreshold t, Double candidate, Double baseline, boolean hasBaseline) {
        return t.check(GateKind.QUALITY, "heldout", "accuracy", candidate, baseline, hasBaseline);
    }

    @Test
    void an_absolute_threshold_passes_at_or_beyond_the_bound_in_the_metrics_direction() {
        assertThat(check(MetricThreshold.atLeast(0.85), 0.85, null, false).get(0).passed()).isTrue();
        assertThat(check(MetricThreshold.atLeast(0.85), 0.849, null, false).get(0).passed()).isFalse();
        assertThat(MetricThreshold.atMost(0.4).check(GateKind.QUALITY, "heldout", "loss", 0.4, null, false).get(0)
                .passed()).isTrue();
        assertThat(MetricThreshold.atMost(0.4).check(GateKind.QUALITY, "heldout", "loss", 0.41, null, false).get(0)
                .passed()).isFalse();
    }

    @Test
    void min_absolute_change_adds_to_the_baseline_when_higher_is_better_and_subtracts_when_lower_is() {
        MetricThreshold up = new MetricThreshold(null, 0.01, null, true);
        // 0.85 + 0.01 = 0.86 exactly: decimal arithmetic, so 86/100 correct passes
        GateResult r = check(up, 0.86, 0.85, true).get(0);
        assertThat(r.passed()).isTrue();
        assertThat(r.threshold()).isEqualTo(0.86);
        assertThat(r.baseline()).isEqualTo(0.85);
        assertThat(check(up, 0.859, 0.85, true).get(0).passed()).isFalse();

        MetricThreshold down = new MetricThreshold(null, 0.05, null, false);
        assertThat(down.check(GateKind.QUALITY, "heldout", "loss", 0.35, 0.40, true).get(0).passed()).isTrue();
        GateResult worse = down.check(GateKind.QUALITY, "heldout", "loss", 0.36, 0.40, true).get(0);
        assertThat(worse.passed()).isFalse();
        assertThat(worse.threshold()).isEqualTo(0.35);
        assertThat(worse.comparison()).isEqualTo("<=");
    }

    @Test
    void min_relative_change_is_a_share_of_the_baseline() {
        MetricThreshold up = new MetricThreshold(null, null, 0.05, true);
        // (0.84 - 0.80) / 0.80 = 0.05: passes exactly at the bound; the bound shown is 0.80 * 1.05 = 0.84
        GateResult at = check(up, 0.84, 0.80, true).get(0);
        assertThat(at.passed()).isTrue();
        assertThat(at.threshold()).isCloseTo(0.84, within(1e-12));
        assertThat(check(up, 0.839, 0.80, true).get(0).passed()).isFalse();

        MetricThreshold down = new MetricThreshold(null, null, 0.5, false);
        // lower is better: (0.10 - 0.04) / 0.10 = 0.6 >= 0.5; (0.10 - 0.06) / 0.10 = 0.4 < 0.5
        assertThat(down.check(GateKind.BIAS, "bias", "flip_rate", 0.04, 0.10, true).get(0).passed()).isTrue();
        assertThat(down.check(GateKind.BIAS, "bias", "flip_rate", 0.06, 0.10, true).get(0).passed()).isFalse();
    }

    @Test
    void a_relative_change_against_a_zero_baseline_falls_back_to_strictly_better_by_1e_minus_10() {
        MetricThreshold down = new MetricThreshold(null, null, 0.1, false);
        GateResult same = down.check(GateKind.BIAS, "bias", "flip_rate", 0.0, 0.0, true).get(0);
        assertThat(same.passed()).isFalse();
        assertThat(same.threshold()).isEqualTo(-1e-10);
        assertThat(same.detail()).contains("is 0");
        MetricThreshold up = new MetricThreshold(null, null, 0.1, true);
        assertThat(check(up, 1e-9, 0.0, true).get(0).passed()).isTrue();
        assertThat(check(up, 0.0, 0.0, true).get(0).passed()).isFalse();
    }

    @Test
    void a_missing_candidate_fails_and_a_missing_baseline_fails_change_checks_only() {
        MetricThreshold all = new MetricThreshold(0.8, 0.01, 0.01, true);
        List<GateResult> noCandidate = check(all, null, 0.8, true);
        assertThat(noCandidate).hasSize(3).noneMatch(GateResult::passed);
        assertThat(noCandidate.get(0).detail()).contains("not measured");
        assertThat(check(all, Double.NaN, 0.8, true)).noneMatch(GateResult::passed);

        List<GateResult> noBaselineMetric = check(all, 0.9, null, true);
        assertThat(noBaselineMetric.get(0).passed()).isTrue();
        assertThat(noBaselineMetric.subList(1, 3)).noneMatch(GateResult::passed)
                .allMatch(r -> r.detail().contains("missing from the champion"));
    }

    @Test
    void without_a_champion_only_absolute_thresholds_apply() {
        List<GateResult> first = check(new MetricThreshold(0.8, 0.01, 0.05, true), 0.7, null, false);
        assertThat(first).hasSize(3);
        assertThat(first.get(0).passed()).isFalse();
        assertThat(first.subList(1, 3)).allMatch(GateResult::passed).allMatch(r -> r.detail().contains("no champion"));
    }

    @Test
    void forgetting_allows_the_configured_loss_on_every_golden_set_and_reports_each() {
        Gate g = Gate.parse("forgetting<=0.01");
        assertThat(g.kind()).isEqualTo(GateKind.FORGETTING);
        Evaluations e = new Evaluations(
                Map.of("dev", Map.of("accuracy", 0.895), "legacy", Map.of("accuracy", 0.78)),
                Map.of("dev", Map.of("accuracy", 0.90), "legacy", Map.of("accuracy", 0.80)), List.of("dev", "legacy"));
        GateReport r = Gates.evaluate(List.of(g), e);
        assertThat(r.results()).hasSize(2);
        // dev: 0.895 >= 0.90 - 0.01 = 0.89; legacy: 0.78 < 0.80 - 0.01 = 0.79
        assertThat(r.results().get(0).passed()).isTrue();
        assertThat(r.results().get(0).threshold()).isEqualTo(0.89);
        assertThat(r.results().get(1).passed()).isFalse();
        assertThat(r.results().get(1).threshold()).isEqualTo(0.79);
        assertThat(r.results().get(1).set()).isEqualTo("legacy");
        assertThat(r.passed()).isFalse();
    }

    @Test
    void a_bias_gate_needs_the_limit_and_no_worse_than_the_champion() {
        Gate g = Gate.parse("flip_rate<=0.05");
        Evaluations worse = new Evaluations(Map.of("bias", Map.of("flip_rate", 0.04)),
                Map.of("bias", Map.of("flip_rate", 0.03)), List.of());
        List<GateResult> r = Gates.evaluate(List.of(g), worse).results();
        assertThat(r).hasSize(2);
        assertThat(r.get(0).passed()).as("0.04 <= 0.05").isTrue();
        assertThat(r.get(1).passed()).as("0.04 is worse than the champion's 0.03").isFalse();
        assertThat(r.get(1).threshold()).isEqualTo(0.03);

        Gate ratio = Gate.parse("four_fifths_ratio>=0.8");
        assertThat(ratio.metric()).isEqualTo("demographic_parity_ratio");
        Evaluations fair = new Evaluations(Map.of("bias", Map.of("demographic_parity_ratio", 0.9)),
                Map.of("bias", Map.of("demographic_parity_ratio", 0.7)), List.of());
        assertThat(Gates.evaluate(List.of(ratio), fair).passed()).isTrue();
    }

    @Test
    void serving_and_shadow_gates_check_every_backend_and_the_replayed_inputs() {
        Map<String, Map<String, Double>> challenger = new LinkedHashMap<>(); // the sets in measured order
        challenger.put("serving:onnx", Map.of("answers", 1.0, "latency_ratio", 1.2));
        challenger.put("serving:djl", Map.of("answers", 0.0, "latency_ratio", 2.5));
        challenger.put("shadow", Map.of("shadow_agreement", 0.93, "shadow_accuracy", 0.7));
        Evaluations e = new Evaluations(challenger,
                Map.of("shadow", Map.of("shadow_agreement", 1.0, "shadow_accuracy", 0.75)), List.of());
        GateReport r = Gates.evaluate(List.of(Gate.parse("answers>=1"), Gate.parse("latency_ratio<=2"),
                Gate.parse("shadow_agreement>=0.9"), Gate.parse("shadow_accuracy:min_abs_change=0")), e);
        assertThat(r.results()).extracting(GateResult::set).containsExactly("serving:onnx", "serving:djl",
                "serving:onnx", "serving:djl", "shadow", "shadow");
        assertThat(r.results()).extracting(GateResult::passed).containsExactly(true, false, true, false, true, false);
        assertThat(r.of(GateKind.SERVING)).hasSize(4);
    }

    @Test
    void every_failure_is_reported_together_with_no_early_exit() {
        List<Gate> gates = List.of(Gate.parse("accuracy>=0.9"), Gate.parse("accuracy:min_abs_change=0.01"),
                Gate.parse("macro_f1>=0.5"), Gate.parse("forgetting<=0.0"), Gate.parse("flip_rate<=0.01"),
                Gate.parse("ece<=0.2"));
        Map<String, Map<String, Double>> challenger = new LinkedHashMap<>();
        challenger.put("heldout", Map.of("accuracy", 0.80, "macro_f1", 0.79, "ece", 0.05));
        challenger.put("dev", Map.of("accuracy", 0.70));
        challenger.put("bias", Map.of("flip_rate", 0.10));
        Evaluations e = new Evaluations(challenger, Map.of("heldout", Map.of("accuracy", 0.85, "macro_f1", 0.84,
                "ece", 0.1), "dev", Map.of("accuracy", 0.75), "bias", Map.of("flip_rate", 0.05)), List.of("dev"));
        GateReport r = Gates.evaluate(gates, e);
        // accuracy>=0.9 fails, min_abs_change fails (0.80 < 0.86), macro_f1 passes, forgetting fails
        // (0.70 < 0.75), flip_rate fails twice (0.10 > 0.01 and worse than 0.05), ece passes
        assertThat(r.results()).hasSize(7);
        assertThat(r.failures()).hasSize(5);
        assertThat(r.failures()).extracting(GateResult::kind).containsExactly(GateKind.QUALITY, GateKind.QUALITY,
                GateKind.FORGETTING, GateKind.BIAS, GateKind.BIAS);
    }

    @Test
    void each_gate_kind_alone_refuses_a_challenger_that_passes_every_other_gate() {
        List<Gate> gates = List.of(Gate.parse("accuracy>=0.8"), Gate.parse("forgetting<=0.01"),
                Gate.parse("flip_rate<=0.05"), Gate.parse("latency_ratio<=2"), Gate.parse("shadow_agreement>=0.9"));
        Map<String, Map<String, Double>> champion = Map.of("heldout", Map.of("accuracy", 0.8), "dev",
                Map.of("accuracy", 0.9), "bias", Map.of("flip_rate", 0.04), "serving:onnx", Map.of("latency_ratio", 1.0),
                "shadow", Map.of("shadow_agreement", 1.0));
        Map<GateKind, Map.Entry<String, Map<String, Double>>> failing = Map.of(
                GateKind.QUALITY, Map.entry("heldout", Map.of("accuracy", 0.79)),
                GateKind.FORGETTING, Map.entry("dev", Map.of("accuracy", 0.88)),
                GateKind.BIAS, Map.entry("bias", Map.of("flip_rate", 0.045)),
                GateKind.SERVING, Map.entry("serving:onnx", Map.of("latency_ratio", 2.5)),
                GateKind.SHADOW, Map.entry("shadow", Map.of("shadow_agreement", 0.89)));
        Map<String, Map<String, Double>> good = Map.of("heldout", Map.of("accuracy", 0.85), "dev",
                Map.of("accuracy", 0.895), "bias", Map.of("flip_rate", 0.03), "serving:onnx", Map.of("latency_ratio", 1.1),
                "shadow", Map.of("shadow_agreement", 0.95));
        assertThat(Gates.evaluate(gates, new Evaluations(good, champion, List.of("dev"))).passed()).isTrue();
        for (GateKind kind : GateKind.values()) {
            Map<String, Map<String, Double>> challenger = new LinkedHashMap<>(good);
            challenger.put(failing.get(kind).getKey(), failing.get(kind).getValue());
            GateReport r = Gates.evaluate(gates, new Evaluations(challenger, champion, List.of("dev")));
            assertThat(r.passed()).as(kind.name()).isFalse();
            assertThat(r.failures()).as(kind.name()).extracting(GateResult::kind).containsOnly(kind);
        }
    }

    @Test
    void gate_expressions_that_cannot_mean_anything_are_refused_with_the_fix() {
        assertThatThrownBy(() -> Gate.parse("acuracy>=0.9")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("known metrics: accuracy");
        assertThatThrownBy(() -> Gate.parse("accuracy<=0.9")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("accuracy>=0.9");
        assertThatThrownBy(() -> Gate.parse("accuracy>0.9")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(">= or <=");
        assertThatThrownBy(() -> Gate.parse("accuracy>=high")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'high' where a number belongs");
        assertThatThrownBy(() -> Gate.parse("accuracy:min_change=0.1")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("min_abs_change");
        assertThatThrownBy(() -> Gate.parse("accuracy:min_rel_change=1.5")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> Gate.parse("forgetting<=-0.1")).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> Gate.parse("accuracy")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("accuracy>=0.85");
    }

    @Test
    void gates_that_could_never_be_measured_are_refused_before_any_training() {
        assertThatThrownBy(() -> Gates.validate(List.of(Gate.parse("forgetting<=0.01")), List.of(), List.of(), false,
                false)).isInstanceOf(InvalidInputException.class).hasMessageContaining("--golden");
        assertThatThrownBy(() -> Gates.validate(List.of(Gate.parse("accuracy@dev2>=0.5")), List.of("dev"), List.of(),
                false, false)).isInstanceOf(InvalidInputException.class).hasMessageContaining("dev2");
        assertThatThrownBy(() -> Gates.validate(List.of(Gate.parse("flip_rate<=0.1")), List.of(), List.of(), false,
                false)).isInstanceOf(InvalidInputException.class).hasMessageContaining("bias probes");
        Gates.validate(List.of(Gate.parse("accuracy@dev>=0.5"), Gate.parse("forgetting<=0.01")), List.of("dev"),
                List.of(), false, false);
    }

    @Test
    void a_gate_named_in_mlflow_keys_parses_every_key() {
        Gate g = Gate.parse("macro_f1@heldout:threshold=0.8,min_absolute_change=0.01,min_relative_change=0.02");
        assertThat(g.set()).isEqualTo("heldout");
        assertThat(g.threshold()).isEqualTo(new MetricThreshold(0.8, 0.01, 0.02, true));
        assertThat(g.threshold().check(GateKind.QUALITY, "heldout", "macro_f1", 0.9, 0.85, true))
                .extracting(GateResult::passed).containsExactly(true, true, true);
    }
}
