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
        }
    }

    /** JSON string literals for prompts with newlines. */
    static final class JsonString {
        static String of(String s) {
            return Exchange.GSON.toJson(s);
        }
    }
}
