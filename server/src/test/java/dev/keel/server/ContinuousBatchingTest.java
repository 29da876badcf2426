package dev.keel.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * On every backend that generates, concurrent greedy completions decoded together in the continuous batch
 * (joining at different steps with prompts of different lengths, leaving at different lengths, sliding
 * past the 24-position context) give exactly the text the in-process session gives each of them alone.
 */
class ContinuousBatchingTest {
    private static final String[] PROMPTS = {"abc", "jihgfedcba", "a", "hijehij", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "gfe", "dcba\nabcd", "eeee"};

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"djl", "onnx", "tf"})
    void concurrent_greedy_completions_in_one_batch_equal_each_in_process_generation(String backend,
            @TempDir Path dir) throws Exception {
        Path folder = ServerFixtures.gpt2(dir.resolve("tiny"), 9, false);
        try (KeelServer server = KeelServer.builder().backend(backend).model("tiny", folder.toString()).port(0).start();
                InferenceSession alone = server.runtime().open(ModelRef.parse(folder.toString()))) {
            assertThat(server.model("tiny").batched()).as("%s decodes sequences together", backend).isTrue();
            ExecutorService clients = Executors.newFixedThreadPool(PROMPTS.length);
            try {
                List<Future<HttpResponse<String>>> answers = new ArrayList<>();
                for (int i = 0; i < PROMPTS.length; i++) {
                    String body = "{\"model\":\"tiny\",\"prompt\":" + JsonString.of(PROMPTS[i]) + ",\"max_tokens\":"
                            + (12 + 5 * i) + ",\"temperature\":0}";
                    answers.add(clients.submit(() -> ServerFixtures.post(server, "/v1/completions", body)));
                }
                for (int i = 0; i < PROMPTS.length; i++) {
                    HttpResponse<String> r = answers.get(i).get();
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    JsonObject json = JsonParser.parseString(r.body()).getAsJsonObject();
                    String text = json.getAsJsonArray("choices").get(0).getAsJsonObject().get("text").getAsString();
                    String expected = alone.generate(GenerationRequest.builder().prompt(PROMPTS[i])
                            .maxTokens(12 + 5 * i).greedy().build()).text();
                    assertThat(text).as("prompt %s on %s", PROMPTS[i], backend).isEqualTo(expected);
                    assertThat(r.headers().firstValue(Exchange.INFERENCE_ID)).contains(json.get("inference_id").getAsString());
                }
            } finally {
                clients.shutdownNow();
            }
            assertThat(server.model("tiny").decoder().meanBatch()).as("sequences shared steps").isGreaterThan(1.0);
            // onnx reads ahead: windows that slid beside other sequences were re-read aside
            if (backend.equals("onnx")) {
                assertThat(server.model("tiny").decoder().rereadsAside()).isPositive();
            } else {
                assertThat(server.model("tiny").decoder().rereadsAside()).isZero();
            }
        }
    }

    @org.junit.jupiter.api.Test
    void concurrent_sampled_streams_deliver_pieces_that_add_up_to_the_in_process_text_of_the_same_seed(
            @TempDir Path dir) throws Exception {
        Path folder = ServerFixtures.gpt2(dir.resolve("tiny"), 9, false);
        // a zero stream interval on one server and the default on the other: every event written alone, or
        // events held and written together; either way each stream carries exactly its generation's text
        for (java.time.Duration interval : new java.time.Duration[] {java.time.Duration.ZERO,
                java.time.Duration.ofMillis(10)}) {
            try (KeelServer server = KeelServer.builder().backend("onnx").model("tiny", folder.toString()).port(0)
                    .streamInterval(interval).start();
                    InferenceSession alone = server.runtime().open(ModelRef.parse(folder.toString()))) {
                ExecutorService clients = Executors.newFixedThreadPool(PROMPTS.length);
                try {
                    List<Future<List<String>>> streams = new ArrayList<>();
                    for (int i = 0; i < PROMPTS.length; i++) {
                        String body = "{\"model\":\"tiny\",\"prompt\":" + JsonString.of(PROMPTS[i]) + ",\"max_tokens\":"
                                + (20 + 3 * i) + ",\"temperature\":0.9,\"seed\":" + (100 + i) + ",\"stream\":true}";
                        streams.add(clients.submit(() -> events(server, body)));
                    }
                    for (int i = 0; i < PROMPTS.length; i++) {
                        List<String> events = streams.get(i).get();
                        assertThat(events).as("the stream ends with [DONE]").last().isEqualTo("[DONE]");
                        StringBuilder text = new StringBuilder();
                        for (String e : events.subList(0, events.size() - 1)) {
                            text.append(JsonParser.parseString(e).getAsJsonObject().getAsJsonArray("choices").get(0)
                                    .getAsJsonObject().get("text").getAsString());
                        }
                        String expected = alone.generate(GenerationRequest.builder().prompt(PROMPTS[i])
                                .maxTokens(20 + 3 * i).temperature(0.9).seed(100 + i).build()).text();
                        assertThat(text.toString()).as("prompt %s, stream interval %s", PROMPTS[i], interval)
                                .isEqualTo(expected);
                    }
                } finally {
                    clients.shutdownNow();
                }
            }
        }
    }

    /** The data of every server-sent event of a streamed completion. */
    private static List<String> events(KeelServer server, String body) throws Exception {
        HttpResponse<java.util.stream.Stream<String>> r = ServerFixtures.HTTP.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(server.url() + "/v1/completions")).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        try (java.util.stream.Stream<String> lines = r.body()) {
            return lines.filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        }
    }

    /** JSON string literals for prompts with newlines. */
    static final class JsonString {
        static String of(String s) {
            return Exchange.GSON.toJson(s);
        }
    }
}
