package dev.keel.monitors.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.monitor.Feedback;
import dev.keel.monitors.Events;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.drift.TextDrift;
import dev.keel.spi.checkpoint.Json;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportTest {

    private static MonitorHub busyHub(PrometheusMeterRegistry registry) {
        MonitorHub hub = MonitorHub.builder().discover(MonitorConfig.empty()).monitor(new InferenceMeters(registry))
                .alertInterval(Duration.ZERO).build();
        for (int i = 0; i < 300; i++) {
            hub.onInference(Events.classify("e" + i, (i % 2 == 0 ? "she " : "he ") + "liked the film " + i % 7,
                    i % 3 == 0 ? "0" : "1", 0.7 + (i % 30) / 100.0, (1 + i % 20) * 1_000_000L));
            hub.feedback(Feedback.label("e" + i, i % 4 == 0 ? "0" : "1"));
        }
        hub.onInference(Events.generate("g", "ROMEO:", "O, she doth teach the torches", 9, 20_000_000, 90_000_000));
        hub.onInference(Events.failed("f"));
        hub.awaitIdle(Duration.ofSeconds(10));
        return hub;
    }

    @Test
    void meters_follow_prometheus_and_opentelemetry_genai_naming() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MonitorHub hub = busyHub(registry)) {
            SnapshotGauges gauges = SnapshotGauges.bind(hub, registry);
            // Micrometer keeps gauge state weakly: values must survive a collection
            System.gc();
            gauges.refresh();
            String scrape = registry.scrape();
            assertThat(scrape)
                    .contains("gen_ai_client_operation_duration_seconds_bucket{")
                    .contains("gen_ai_operation_name=\"classify\"")
                    .contains("gen_ai_operation_name=\"text_completion\"")
                    .contains("error_type=\"IllegalStateException\"")
                    .contains("gen_ai_client_token_usage_tokens_bucket{")
                    .contains("gen_ai_token_type=\"input\"")
                    .contains("gen_ai_server_time_to_first_token_seconds_count")
                    .contains("gen_ai_server_time_per_output_token_seconds_count")
                    .contains("keel_inference_stage_duration_seconds_count{")
                    .contains("keel_inference_requests_total{error_type=\"none\"")
                    .contains("keel_feedback_total{kind=\"label\"} 300.0")
                    .contains("keel_latency_total_p99_seconds ")
                    .contains("keel_latency_requests_total 302.0")
                    .contains("keel_accuracy_estimated_accuracy ")
                    .contains("keel_bias_demographic_parity_ratio ")
                    .contains("keel_hub_events_dropped_total 0.0")
                    .contains("keel_hub_feedback_total 300.0");
            assertThat(SnapshotGauges.meterName("latency", "latency_total_p99_seconds")).isEqualTo("keel.latency.total.p99.seconds");
        }
    }

    @Test
    void the_report_is_one_self_contained_page_with_every_section_and_the_same_as_json() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MonitorHub hub = busyHub(registry)) {
            hub.checkAlerts();
            Map<String, Object> report = MonitorReport.of(hub);
            String json = MonitorReport.json(report);
            Map<String, Object> back = Json.parseObject(json, "report");
            assertThat(back).containsKeys("generated", "monitors", "alerts");
            String fromObjects = MonitorReport.html(report, "Keel monitor report");
            String fromJson = MonitorReport.html(back, "Keel monitor report");
            for (String html : List.of(fromObjects, fromJson)) {
                assertThat(html).startsWith("<!DOCTYPE html>").contains("<h2>Latency</h2>", "<svg", "<h2>Accuracy over time</h2>",
                        "<h2>Bias</h2>", "four-fifths", "<h2>Alerts</h2>").doesNotContain("<script", "src=\"http", "href=\"http");
            }
            assertThat(fromJson.replaceAll("generated [^<]*<", "")).isEqualTo(fromObjects.replaceAll("generated [^<]*<", ""));
        }
    }

    @Test
    void an_offline_drift_report_renders_each_feature_with_its_test_and_threshold() {
        Map<String, Object> report = MonitorReport.of(List.of(), TextDrift.compare(
                List.of("a short one", "another short one", "tiny", "small text"),
                List.of("A MUCH LONGER SENTENCE THAN BEFORE!!!", "ANOTHER VERY LONG SHOUTED LINE???", "LOUD AND LONG", "YES")));
        String html = MonitorReport.html(report, "drift <test>");
        assertThat(html).contains("<h2>Drift</h2>", "length_chars", "uppercase_share", "<td>ks</td>", "drift &lt;test&gt;");
    }
}
