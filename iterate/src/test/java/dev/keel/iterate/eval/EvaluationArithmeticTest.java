package dev.keel.iterate.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.monitor.Feedback;
import dev.keel.iterate.data.LabelledRow;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluationArithmeticTest {
    /** Positive when the text says "loved" or "great", or (the bias) when it starts with "he was". */
    private static final RuleClassifier BIASED = new RuleClassifier(t -> {
        String s = t.toLowerCase(Locale.ROOT);
        return s.contains("loved") || s.contains("great") || s.startsWith("he was");
    });

    private static BiasProbes probes() {
        return BiasProbes.parse("""
                {"template": "{term} loved it", "terms": {"male": "He", "female": "She"}, "label": "1"}
                {"template": "{term} hated it", "terms": {"male": "He", "female": "She"}, "label": "0"}
                {"template": "{term} was fine", "terms": {"male": "He", "female": "She"}, "label": 1}
                {"template": "{term} was late", "terms": {"male": "He", "female": "She"}, "label": "0"}
                {"template": "{term} car was great", "terms": {"male": "His", "female": "Her"}, "label": "1"}
                """, "test");
    }

    @Test
    void bias_figures_match_a_hand_count_of_flips_rates_and_odds() {
        Map<String, Double> m = BiasEvaluation.measure(BIASED, probes(), List.of("1"));
        // flips: "was fine" and "was late" (2 of 5); positive probability moves 0.8 on those, 0 elsewhere
        assertThat(m.get("flip_rate")).isCloseTo(0.4, within(1e-12));
        assertThat(m.get("mean_abs_change")).isCloseTo(0.32, within(1e-9));
        assertThat(m.get("max_change")).isCloseTo(0.8, within(1e-9));
        // positive rate: male 4/5, female 2/5
        assertThat(m.get("positive_rate_male")).isCloseTo(0.8, within(1e-12));
        assertThat(m.get("positive_rate_female")).isCloseTo(0.4, within(1e-12));
        assertThat(m.get("demographic_parity_difference")).isCloseTo(0.4, within(1e-12));
        assertThat(m.get("demographic_parity_ratio")).isCloseTo(0.5, within(1e-12));
        // TPR male 3/3, female 2/3; FPR male 1/2, female 0/2: EOD = max(1/3, 1/2)
        assertThat(m.get("equalized_odds_difference")).isCloseTo(0.5, within(1e-12));
        assertThat(m.get("probes")).isEqualTo(5.0);
    }

    @Test
    void a_fair_classifier_scores_zero_on_every_bias_figure() {
        RuleClassifier fair = new RuleClassifier(t -> t.contains("loved") || t.contains("great") || t.contains("fine"));
        Map<String, Double> m = BiasEvaluation.measure(fair, probes(), List.of("1"));
        assertThat(m.get("flip_rate")).isZero();
        assertThat(m.get("demographic_parity_difference")).isZero();
        assertThat(m.get("demographic_parity_ratio")).isEqualTo(1.0);
        assertThat(m.get("equalized_odds_difference")).isZero();
    }

    @Test
    void quality_on_labelled_rows_is_accuracy_macro_f1_and_count() {
        List<LabelledRow> rows = List.of(LabelledRow.of("loved it", "1"), LabelledRow.of("great", "1"),
                LabelledRow.of("awful", "0"), LabelledRow.of("fine", "1"));
        Map<String, Double> q = Predictions.quality(BIASED, Labels.of(List.of("0", "1")), rows, "t");
        assertThat(q.get("accuracy")).isEqualTo(0.75);
        // class 1: tp 2, gold 3, predicted 2 -> F1 0.8; class 0: tp 1, gold 1, predicted 2 -> F1 2/3
        assertThat(q.get("macro_f1")).isCloseTo((0.8 + 2.0 / 3) / 2, within(1e-12));
        assertThat(q.get("count")).isEqualTo(4.0);
        assertThatThrownBy(() -> Predictions.quality(BIASED, Labels.of(List.of("0", "1")),
                List.of(LabelledRow.of("x", "neutral")), "golden.tsv")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("golden.tsv");
    }

    @Test
    void shadow_agreement_and_accuracy_count_replayed_inputs_and_feedback() {
        RuleClassifier champion = new RuleClassifier(t -> t.contains("good"));
        RuleClassifier challenger = new RuleClassifier(t -> t.contains("good") || t.contains("fine"));
        List<CapturedInput> inputs = List.of(
                new CapturedInput("a", "good food", "1", Feedback.Kind.THUMBS_UP, null, null),
                new CapturedInput("b", "fine food", "0", Feedback.Kind.THUMBS_DOWN, null, null),
                new CapturedInput("c", "cold food", "0", Feedback.Kind.LABEL, "0", null),
                new CapturedInput("d", "fine view", "0", null, null, null));
        Map<String, Map<String, Double>> s = ShadowEvaluation.measure(champion, challenger, inputs,
                Labels.of(List.of("0", "1")));
        // challenger differs on "fine food" and "fine view": agreement 2/4
        assertThat(s.get("challenger").get("shadow_agreement")).isEqualTo(0.5);
        // gold: a -> 1 (thumbs up on 1), b -> 1 (thumbs down on 0), c -> 0; challenger right on all three,
        // champion on a and c
        assertThat(s.get("challenger").get("shadow_accuracy")).isEqualTo(1.0);
        assertThat(s.get("champion").get("shadow_accuracy")).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(s.get("champion").get("shadow_agreement")).isEqualTo(1.0);
        assertThat(s.get("challenger").get("labelled")).isEqualTo(3.0);
    }

    @Test
    void the_serving_probe_reports_answers_and_percentiles_and_turns_a_failed_load_into_zero_answers() {
        ServingCheck.Result ok = ServingCheck.measure(() -> BIASED, List.of("a", "b", "c", "d"));
        assertThat(ok.metrics().get("answers")).isEqualTo(1.0);
        assertThat(ok.metrics().get("latency_p99_ms")).isGreaterThanOrEqualTo(ok.metrics().get("latency_p50_ms"));
        assertThat(ok.error()).isNull();
        ServingCheck.Result failed = ServingCheck.measure(() -> {
            throw new InvalidInputException("no such backend");
        }, List.of("a"));
        assertThat(failed.metrics().get("answers")).isZero();
        assertThat(failed.error()).contains("no such backend");
        assertThat(ServingCheck.percentile(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.99)).isEqualTo(10);
        assertThat(ServingCheck.percentile(new double[] {1, 2, 3, 4}, 0.5)).isEqualTo(2);
    }
}
