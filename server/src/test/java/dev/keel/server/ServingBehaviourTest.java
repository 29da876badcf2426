package dev.keel.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.monitors.MonitorHub;
import dev.keel.runtime.KeelRuntime;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a server does under pressure and at the edges: 429 with Retry-After when a model's queue is full,
 * 503 while draining (in-flight requests still finish), generation cancelled when the client goes away,
 * OpenAI-shaped errors for bad JSON, oversized bodies, unknown models and wrong API keys, and the metrics,
 * monitor and health endpoints.
 */
class ServingBehaviourTest {
    @TempDir
    static Path dir;
    static Path folder;
    static KeelServer server;
    static final List<InferenceEvent> events = new CopyOnWriteArrayList<>();
    static MonitorHub hub;

    @BeforeAll
    static void start() {
        folder = ServerFixtures.gpt2(dir.resolve("tiny"), 3, false);
        hub = MonitorHub.withDefaults();
        KeelRuntime runtime = KeelRuntime.builder().backend("djl").monitors(hub).listener(events::add).build();
        server = KeelServer.builder().runtime(runtime).model("tiny", folder.toString()).port(0).maxQueue(3)
                .maxBatch(2).maxRequestBytes(4000).maxTokensLimit(60_000).apiKeys(ApiKeys.of(List.of("right-key")))
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
        hub.close();
    }

    private static HttpResponse<String> post(String path, String body) {
        return ServerFixtures.post(server, path, body, "Authorization", "Bearer right-key");
    }

    private static JsonObject error(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("error");
    }

    @Test
    void a_full_queue_answers_429_with_retry_after_and_the_admitted_requests_finish() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(clients.submit(() -> post("/v1/completions",
                        "{\"model\":\"tiny\",\"prompt\":\"abc\",\"max_tokens\":1500,\"temperature\":0}")));
            }
            int ok = 0;
            int overloaded = 0;
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 429) {
                    overloaded++;
                    assertThat(r.headers().firstValue("Retry-After")).contains("1");
                    assertThat(error(r).get("type").getAsString()).isEqualTo("rate_limit_error");
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    ok++;
                }
            }
            assertThat(overloaded).as("requests past the queue of 3").isPositive();
            assertThat(ok).isPositive();
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void a_client_that_disconnects_cancels_its_generation() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.url() + "/v1/completions"))
                .header("Authorization", "Bearer right-key").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"prompt\":\"jih\",\"max_tokens\":60000,"
                        + "\"temperature\":0,\"stream\":true}")).build();
        HttpResponse<InputStream> r = ServerFixtures.HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        String id = r.headers().firstValue(Exchange.INFERENCE_ID).orElseThrow();
        try (InputStream in = r.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            int events = 0;
            while (events < 3) {
                String line = reader.readLine();
                if (line != null && line.startsWith("data:")) {
                    events++;
                }
            }
        }
        InferenceEvent event = awaitEvent(id);
        assertThat(event.error()).contains("client went away");
        assertThat(event.outputTokens()).isLessThan(60_000);
    }

    @Test
    void a_client_that_disconnects_before_a_whole_answer_cancels_its_generation() throws Exception {
        // 60,000 tokens take the tiny model far longer than the 6 s this test waits, so only a cancellation ends
        // it in time (4,000 ended by themselves in 1.3 s on a quiet box, before the second heartbeat failed)
        int before = events.size();
        String body = "{\"model\":\"tiny\",\"prompt\":\"cab\",\"max_tokens\":60000,\"temperature\":0}";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer right-key\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            for (int i = 0; i < 500 && server.model("tiny").decoder().running() == 0; i++) {
                Thread.sleep(5);
            }
        }
        InferenceEvent event = null;
        for (int i = 0; i < 300 && event == null; i++) {
            for (InferenceEvent e : events.subList(before, events.size())) {
                if (e.inputs().equals(List.of("cab"))) {
                    event = e;
                }
            }
            Thread.sleep(20);
        }
        assertThat(event).as("the generation ended within 6 s of the disconnect").isNotNull();
        assertThat(event.error()).contains("client went away");
    }

    private static InferenceEvent awaitEvent(String id) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            for (InferenceEvent e : events) {
                if (e.id().equals(id)) {
                    return e;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no inference event for " + id + " within 6 s: the generation did not stop");
    }

    @Test
    void bad_json_oversized_bodies_unknown_models_and_wrong_methods_get_openai_shaped_errors() {
        HttpResponse<String> bad = post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": ");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(error(bad).get("type").getAsString()).isEqualTo("invalid_request_error");
        assertThat(error(bad).get("message").getAsString()).contains("not valid JSON");

        HttpResponse<String> big = post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":\"" + "a".repeat(5000) + "\"}");
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(error(big).get("message").getAsString()).contains("4000 bytes");

        HttpResponse<String> unknown = post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"a\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(error(unknown).get("code").getAsString()).isEqualTo("model_not_found");

        HttpResponse<String> tooMany = post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"a\",\"max_tokens\":99999}");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(error(tooMany).get("param").getAsString()).isEqualTo("max_tokens");

        HttpResponse<String> outsideVocabulary = post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"xyz\"}");
        assertThat(outsideVocabulary.statusCode()).isEqualTo(400);

        HttpResponse<String> get = ServerFixtures.get(server, "/v1/completions", "Authorization", "Bearer right-key");
        assertThat(get.statusCode()).isEqualTo(405);
    }

    @Test
    void a_wrong_or_missing_api_key_is_refused_with_401_but_health_stays_open() {
        HttpResponse<String> wrong = ServerFixtures.post(server, "/v1/completions", "{\"prompt\":\"a\"}",
                "Authorization", "Bearer wrong-key");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(error(wrong).get("code").getAsString()).isEqualTo("invalid_api_key");
        assertThat(ServerFixtures.get(server, "/v1/models").statusCode()).isEqualTo(401);
        assertThat(ServerFixtures.get(server, "/health/live").statusCode()).isEqualTo(200);
        assertThat(ServerFixtures.get(server, "/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void every_answer_from_a_model_carries_its_inference_id_and_feedback_can_refer_to_it() {
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\":\"abc\",\"max_tokens\":3,\"temperature\":0}");
        assertThat(r.statusCode()).isEqualTo(200);
        String id = r.headers().firstValue(Exchange.INFERENCE_ID).orElseThrow();
        assertThat(JsonParser.parseString(r.body()).getAsJsonObject().get("inference_id").getAsString()).isEqualTo(id);
        HttpResponse<String> e = post("/v1/embeddings", "{\"input\":[\"abc\",\"def\"],\"encoding_format\":\"base64\"}");
        assertThat(e.statusCode()).isEqualTo(200);
        assertThat(e.headers().firstValue(Exchange.INFERENCE_ID)).isPresent();
        HttpResponse<String> f = post("/v1/feedback", "{\"inference_id\":\"" + id + "\",\"kind\":\"thumbs_up\"}");
        assertThat(f.statusCode()).as(f.body()).isEqualTo(200);
        assertThat(f.body()).contains("\"recorded\":true");
        HttpResponse<String> badKind = post("/v1/feedback", "{\"inference_id\":\"" + id + "\",\"kind\":\"meh\"}");
        assertThat(badKind.statusCode()).isEqualTo(400);
    }

    @Test
    void metrics_monitor_and_models_describe_the_running_server() {
        post("/v1/completions", "{\"prompt\":\"abc\",\"max_tokens\":2}");
        String metrics = ServerFixtures.get(server, "/metrics", "Authorization", "Bearer right-key").body();
        assertThat(metrics).contains("keel_server_requests_total").contains("keel_server_in_flight");
        HttpResponse<String> html = ServerFixtures.get(server, "/monitor", "Authorization", "Bearer right-key",
                "Accept", "text/html");
        assertThat(html.body()).contains("http-equiv=\"refresh\"");
        HttpResponse<String> json = ServerFixtures.get(server, "/monitor", "Authorization", "Bearer right-key");
        assertThat(json.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        String models = ServerFixtures.get(server, "/v1/models", "Authorization", "Bearer right-key").body();
        assertThat(models).contains("\"id\":\"tiny\"").contains("\"continuous_batching\":true");
    }

    @Test
    void draining_answers_503_to_new_requests_while_in_flight_ones_finish() throws Exception {
        Path other = ServerFixtures.gpt2(dir.resolve("drain"), 4, false);
        KeelServer draining = KeelServer.builder().backend("djl").model("tiny", other.toString()).port(0).start();
        CompletableFuture<HttpResponse<String>> longOne = CompletableFuture.supplyAsync(() -> ServerFixtures.post(
                draining, "/v1/completions", "{\"prompt\":\"abc\",\"max_tokens\":1000,\"temperature\":0}"));
        for (int i = 0; i < 2000 && draining.model("tiny").decoder().running() == 0 && !longOne.isDone(); i++) {
            Thread.sleep(5);
        }
        assertThat(longOne).as("the long request is decoding").isNotDone();
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> draining.drain(Duration.ofSeconds(60)));
        for (int i = 0; i < 2000 && !draining.draining(); i++) {
            Thread.sleep(5);
        }
        HttpResponse<String> refused = ServerFixtures.post(draining, "/v1/completions", "{\"prompt\":\"a\"}");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(error(refused).get("code").getAsString()).isEqualTo("draining");
        assertThat(ServerFixtures.get(draining, "/health/ready").statusCode()).isEqualTo(503);
        HttpResponse<String> finished = longOne.get();
        assertThat(finished.statusCode()).isEqualTo(200);
        assertThat(finished.body()).contains("\"completion_tokens\":1000");
        assertThat(drained.get()).as("every in-flight request finished before the deadline").isTrue();
    }
}
