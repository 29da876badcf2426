package dev.keel.samples.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MonitoredServiceTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void the_sample_service_classifies_takes_feedback_and_serves_metrics_and_the_report() throws Exception {
        try (MonitoredService service = MonitoredService.start("builtin:all-minilm-l6-v2", null, 0)) {
            String base = "http://127.0.0.1:" + service.port();
            HttpResponse<String> r = post(base + "/classify", "a wonderful , moving film .\nboring and far too long .");
            assertThat(r.statusCode()).isEqualTo(200);
            Map<String, Object> body = Json.parseObject(r.body(), "classify");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> predictions = (List<Map<String, Object>>) body.get("predictions");
            assertThat(predictions).extracting(p -> p.get("label")).containsExactly("1", "0");
            assertThat(post(base + "/feedback?id=" + body.get("id") + "%230&kind=label&value=1", "").statusCode()).isEqualTo(200);
            assertThat(post(base + "/feedback?id=" + body.get("id") + "&kind=thumbs_up", "").statusCode()).isEqualTo(200);
            assertThat(post(base + "/feedback?id=x&kind=like", "").statusCode()).isEqualTo(400);
            assertThat(post(base + "/embed", "").statusCode()).isEqualTo(400);
            assertThat(post(base + "/embed", "hello").body()).contains("\"dimension\":384");
            service.hub().awaitIdle(Duration.ofSeconds(10));
            // a label and a thumbs-up both count as labelled outcomes
            String metrics = get(base + "/metrics");
            assertThat(metrics).contains("gen_ai_client_operation_duration_seconds_bucket{", "gen_ai_operation_name=\"embeddings\"",
                    "gen_ai_operation_name=\"classify\"", "keel_feedback_total{kind=\"label\"} 1.0", "keel_accuracy_labelled_total 2.0", "keel_hub_feedback_total 2.0",
                    "keel_latency_requests_total");
            Map<String, Object> report = Json.parseObject(get(base + "/monitor"), "report");
            assertThat(((Map<?, ?>) report.get("monitors")).keySet()).map(String::valueOf).contains("latency", "accuracy", "data_drift", "bias", "ux",
                    "embedding_drift", "hub");
            assertThat(get(base + "/monitor.html")).contains("<h2>Latency</h2>", "<h2>Bias</h2>");
        }
    }
}
