package dev.keel.monitors.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.monitors.Events;
import dev.keel.monitors.MonitorConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccuracyMonitorTest {

    private static AccuracyMonitor monitor(int window) {
        return new AccuracyMonitor(MonitorConfig.of(Map.of("accuracy.window", "" + window, "accuracy.bucket", "50")));
    }

    @Test
    void the_sliding_window_forgets_old_outcomes_and_the_series_has_one_point_per_bucket() {
        AccuracyMonitor m = monitor(100);
        // 100 right answers, then 100 with every other one wrong
        for (int i = 0; i < 200; i++) {
            InferenceEvent e = Events.classify("e" + i, "text", "1", 0.9, 1000);
            m.onInference(e);
            m.onFeedback(Feedback.label("e" + i, i < 100 || i % 2 == 0 ? "1" : "0"), e, 0);
        }
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("accuracy")).isCloseTo(0.5, within(1e-12));
        assertThat(v.get("accuracy_all")).isCloseTo(0.75, within(1e-12));
        assertThat(v.get("labelled_total")).isEqualTo(200.0);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> series = (List<Map<String, Object>>) m.snapshot().details().get("series");
        assertThat(series).extracting(p -> p.get("accuracy")).containsExactly(1.0, 1.0, 0.5, 0.5);
    }

    @Test
    void the_label_free_estimate_is_the_mean_confidence_until_labels_calibrate_it() {
        AccuracyMonitor m = monitor(500);
        for (int i = 0; i < 100; i++) {
            m.onInference(Events.classify("e" + i, "t", "1", i % 2 == 0 ? 0.7 : 0.9, 1000));
        }
        assertThat(m.snapshot().values().get("estimated_accuracy")).isCloseTo(0.8, within(1e-12));
        assertThat(m.snapshot().values().get("accuracy")).isNaN();
    }

    @Test
    void an_over_confident_model_is_calibrated_down_towards_its_observed_accuracy() {
        AccuracyMonitor m = monitor(500);
        // confidence 0.95 but right only 60% of the time
        for (int i = 0; i < 1000; i++) {
            InferenceEvent e = Events.classify("e" + i, "t", "1", 0.95, 1000);
            m.onInference(e);
            m.onFeedback(Feedback.label("e" + i, i % 5 < 3 ? "1" : "0"), e, 0);
        }
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("accuracy")).isCloseTo(0.6, within(1e-12));
        // (600 + 10 * 0.95) / (1000 + 10)
        assertThat(v.get("estimated_accuracy")).isCloseTo(609.5 / 1010, within(1e-9));
        assertThat(v.get("expected_calibration_error")).isCloseTo(0.35, within(1e-9));
    }

    @Test
    void thumbs_count_as_outcomes_and_labels_for_unknown_inferences_are_counted_apart() {
        AccuracyMonitor m = monitor(10);
        m.onFeedback(Feedback.thumbsUp("a"), null, 0);
        m.onFeedback(Feedback.thumbsDown("b"), null, 0);
        m.onFeedback(Feedback.label("c", "1"), null, 0);
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("accuracy")).isEqualTo(0.5);
        assertThat(v.get("labels_unmatched_total")).isEqualTo(1.0);
    }
}
