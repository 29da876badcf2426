package dev.keel.monitors.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Feedback;
import dev.keel.monitors.Events;
import dev.keel.monitors.MonitorConfig;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OtherMonitorsTest {

    @Test
    void user_experience_counts_feedback_shares_and_latency_objective_compliance() {
        UserExperienceMonitor m = new UserExperienceMonitor(MonitorConfig.of(Map.of("ux.latency_objective_seconds", "0.1")));
        for (int i = 0; i < 100; i++) {
            m.onInference(Events.embed("e" + i, "x", i < 90 ? 50_000_000L : 200_000_000L));
        }
        for (int i = 0; i < 30; i++) {
            m.onFeedback(i < 24 ? Feedback.thumbsUp("e" + i) : Feedback.thumbsDown("e" + i));
        }
        m.onFeedback(new Feedback("e1", Feedback.Kind.CORRECTION, "better text", Double.NaN, null));
        m.onFeedback(new Feedback("e2", Feedback.Kind.RETRY, null, Double.NaN, null));
        m.onFeedback(new Feedback("e3", Feedback.Kind.SCORE, null, 4, null));
        m.onFeedback(new Feedback("e4", Feedback.Kind.SCORE, null, 2, null));
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("positive_feedback_share")).isCloseTo(0.8, within(1e-12));
        assertThat(v.get("latency_objective_compliance")).isCloseTo(0.9, within(1e-12));
        assertThat(v.get("correction_rate")).isCloseTo(0.01, within(1e-12));
        assertThat(v.get("retry_rate")).isCloseTo(0.01, within(1e-12));
        assertThat(v.get("score_mean")).isEqualTo(3.0);
    }

    @Test
    void repetition_rate_of_a_looping_text_is_the_share_of_repeated_trigrams() {
        assertThat(GenerationQualityMonitor.repetitionRate("to be or not to be")).isZero();
        // "a b c a b c": trigrams abc bca cab abc -> one repeat in four
        assertThat(GenerationQualityMonitor.repetitionRate("a b c a b c")).isCloseTo(0.25, within(1e-12));
        assertThat(GenerationQualityMonitor.repetitionRate("the the the the the the")).isCloseTo(0.75, within(1e-12));
    }

    @Test
    void generation_signals_track_length_repetition_prompt_novelty_and_self_perplexity() {
        GenerationQualityMonitor m = new GenerationQualityMonitor(MonitorConfig.of(Map.of("generation.reference_size", "10",
                "generation.perplexity_sample_rate", "1")), (prompt, output) -> output.length());
        for (int i = 0; i < 10; i++) {
            m.onInference(Events.generate("g" + i, "ROMEO: speak", "words of love", 3, 1_000_000, 5_000_000));
        }
        m.onInference(Events.generate("x", "zzqq", "a b c a b c", 6, 1_000_000, 5_000_000));
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("generations_total")).isEqualTo(11.0);
        assertThat(v.get("prompt_ood_score_mean")).isEqualTo(1.0);
        assertThat(v.get("output_tokens_mean")).isCloseTo(36 / 11.0, within(1e-12));
        assertThat(v.get("self_perplexity_mean")).isCloseTo((10 * 13 + 11) / 11.0, within(1e-12));
        assertThat(v.get("repetition_rate_mean")).isCloseTo(0.25 / 11, within(1e-12));
    }

    @Test
    void data_drift_stays_quiet_on_the_same_inputs_and_flags_a_shift_in_inputs_and_outputs() {
        MonitorConfig c = MonitorConfig.of(Map.of("data_drift.reference_size", "300", "data_drift.current_size", "300",
                "data_drift.recompute_seconds", "0"));
        DataDriftMonitor m = new DataDriftMonitor(c);
        Random r = new Random(2);
        String[] words = "good bad film plot story acting fun slow great dull".split(" ");
        for (int i = 0; i < 600; i++) {
            m.onInference(Events.classify("e" + i, sentence(r, words, 4 + r.nextInt(8)), r.nextBoolean() ? "1" : "0",
                    0.6 + 0.4 * r.nextDouble(), 1000));
        }
        Map<String, Double> same = m.snapshot().values();
        assertThat(same.get("dataset_drift")).isZero();
        assertThat(same.get("features_tested")).isEqualTo(8.0);
        for (int i = 0; i < 300; i++) {
            m.onInference(Events.classify("s" + i, sentence(r, words, 20 + r.nextInt(8)).toUpperCase() + " 123", "1",
                    0.5 + 0.1 * r.nextDouble(), 1000));
        }
        Map<String, Double> shifted = m.snapshot().values();
        assertThat(shifted.get("dataset_drift")).isEqualTo(1.0);
        assertThat(shifted.get("input_length_chars_drifted")).isEqualTo(1.0);
        assertThat(shifted.get("predicted_class_drifted")).isEqualTo(1.0);
        assertThat(shifted.get("confidence_drifted")).isEqualTo(1.0);
        assertThatThrownBy(() -> new DataDriftMonitor(MonitorConfig.of(Map.of("data_drift.threshold", "0.2"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("data_drift.method");
    }

    @Test
    void embedding_drift_compares_the_first_vectors_with_the_latest() {
        EmbeddingDriftMonitor m = new EmbeddingDriftMonitor(MonitorConfig.of(Map.of("embedding_drift.reference_size", "200",
                "embedding_drift.current_size", "200", "embedding_drift.recompute_seconds", "0")), texts -> {
                    throw new AssertionError("vectors are added directly in this test");
                });
        Random r = new Random(9);
        m.add(vectors(r, 400, 0));
        assertThat(m.snapshot().values().get("drifted")).isZero();
        m.add(vectors(r, 200, 1.0));
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("drifted")).isEqualTo(1.0);
        assertThat(v.get("domain_classifier_auc")).isGreaterThan(0.8);
        assertThat(v.get("mmd_p_value")).isLessThan(0.05);
    }

    private static float[][] vectors(Random r, int n, double shift) {
        float[][] out = new float[n][16];
        for (float[] v : out) {
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) (r.nextGaussian() + (j < 3 ? shift : 0));
            }
        }
        return out;
    }

    private static String sentence(Random r, String[] words, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
        }
        return b.toString();
    }
}
