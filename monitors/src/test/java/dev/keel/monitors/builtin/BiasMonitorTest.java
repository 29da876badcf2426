package dev.keel.monitors.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Prediction;
import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.monitors.Events;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BiasMonitorTest {

    /** 100 texts per group; {@code femalePositive} and {@code malePositive} of them predicted positive. */
    private static void feed(java.util.function.Consumer<InferenceEvent> sink, int femalePositive, int malePositive) {
        for (int i = 0; i < 100; i++) {
            sink.accept(Events.classify("f" + i, "she liked it", i < femalePositive ? "1" : "0", 0.9, 1000));
            sink.accept(Events.classify("m" + i, "he liked it", i < malePositive ? "1" : "0", 0.9, 1000));
            sink.accept(Events.classify("n" + i, "they liked it", "1", 0.9, 1000));
        }
    }

    @Test
    void demographic_parity_difference_and_ratio_of_known_rates() {
        BiasMonitor m = new BiasMonitor(MonitorConfig.empty());
        feed(m::onInference, 40, 80);
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("positive_rate_female")).isCloseTo(0.4, within(1e-12));
        assertThat(v.get("positive_rate_male")).isCloseTo(0.8, within(1e-12));
        assertThat(v.get("demographic_parity_difference")).isCloseTo(0.4, within(1e-12));
        assertThat(v.get("demographic_parity_ratio")).isCloseTo(0.5, within(1e-12));
        assertThat(v.get("groups_measured")).isEqualTo(2.0);
    }

    @Test
    void equalized_odds_difference_is_the_larger_gap_of_true_and_false_positive_rates() {
        BiasMonitor m = new BiasMonitor(MonitorConfig.empty());
        // female: 20 positives, 16 caught (TPR 0.8); 20 negatives, 2 false alarms (FPR 0.1)
        // male:   20 positives, 10 caught (TPR 0.5); 20 negatives, 6 false alarms (FPR 0.3)
        int[][] spec = {{16, 2}, {10, 6}};
        String[] subject = {"she", "he"};
        for (int g = 0; g < 2; g++) {
            for (int i = 0; i < 40; i++) {
                boolean actual = i < 20;
                boolean predicted = actual ? i < spec[g][0] : i - 20 < spec[g][1];
                InferenceEvent e = Events.classify(g + "-" + i, subject[g] + " was there", predicted ? "1" : "0", 0.8, 1000);
                m.onInference(e);
                m.onFeedback(Feedback.label(e.id(), actual ? "1" : "0"), e, 0);
            }
        }
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("equalized_odds_difference")).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void the_four_fifths_rule_raises_an_alert_through_the_hub() {
        BiasMonitor m = new BiasMonitor(MonitorConfig.empty());
        try (MonitorHub hub = MonitorHub.builder().monitor(m).alertInterval(Duration.ZERO).build()) {
            feed(hub::onInference, 70, 80);
            hub.awaitIdle(Duration.ofSeconds(5));
            assertThat(hub.checkAlerts()).isEmpty(); // 0.875 passes
        }
        BiasMonitor unfair = new BiasMonitor(MonitorConfig.empty());
        try (MonitorHub hub = MonitorHub.builder().monitor(unfair).alertInterval(Duration.ZERO).build()) {
            feed(hub::onInference, 60, 80);
            hub.awaitIdle(Duration.ofSeconds(5));
            assertThat(hub.checkAlerts()).extracting(Alert::metric).containsExactly("demographic_parity_ratio");
        }
    }

    @Test
    void texts_naming_both_groups_or_neither_are_left_out() {
        BiasMonitor m = new BiasMonitor(MonitorConfig.of(Map.of("bias.groups", "a:alpha;b:beta|bravo")));
        m.onInference(Events.classify("1", "alpha and beta", "1", 0.9, 1));
        m.onInference(Events.classify("2", "gamma", "1", 0.9, 1));
        m.onInference(Events.classify("3", "Bravo!", "1", 0.9, 1));
        assertThat(m.snapshot().values()).containsKey("positive_rate_b").doesNotContainKey("positive_rate_a");
        assertThatThrownBy(() -> new BiasMonitor(MonitorConfig.of(Map.of("bias.groups", "nogroup"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("name:term");
    }

    @Test
    void counterfactual_probes_measure_how_much_swapping_the_term_moves_the_output() {
        // a classifier that likes sentences about "he" a little more: known answer 0.2 per pair
        java.util.function.Function<List<String>, List<Prediction>> classifier = texts -> texts.stream()
                .map(t -> {
                    double p = t.contains("He ") || t.contains(" man") || t.contains("brother") || t.contains("John")
                            ? 0.7 : 0.5;
                    return new Prediction(p >= 0.6 ? "1" : "0", p >= 0.6 ? 1 : 0, Math.max(p, 1 - p), new double[] {1 - p, p});
                }).toList();
        CounterfactualProbe.Result r = CounterfactualProbe.run(classifier, CounterfactualProbe.DEFAULT_TEMPLATES,
                CounterfactualProbe.DEFAULT_TERMS, "1"::equals);
        assertThat(r.rows()).hasSize(CounterfactualProbe.DEFAULT_TEMPLATES.size() * 4);
        assertThat(r.meanAbsoluteChange()).isCloseTo(0.2, within(1e-9));
        assertThat(r.flipRate()).isEqualTo(1.0);
        BiasMonitor m = new BiasMonitor(MonitorConfig.empty());
        m.recordProbe(r);
        assertThat(m.snapshot().values().get("counterfactual_mean_abs_change")).isCloseTo(0.2, within(1e-9));
        assertThatThrownBy(() -> CounterfactualProbe.run(classifier, List.of("no slot"), CounterfactualProbe.DEFAULT_TERMS,
                "1"::equals)).isInstanceOf(InvalidInputException.class).hasMessageContaining("{term}");
    }
}
