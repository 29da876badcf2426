package dev.keel.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.registry.capture.JdbcCaptureStore;
import dev.keel.spi.data.LabelledFiles;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keel serve --capture DB} ({@code KeelServer.Builder.capture}): served calls land in the inference log
 * under the served model name, {@code /v1/feedback} is durable and joined to them even without monitors, and
 * stopping the server writes the log's queue and closes the store.
 */
class CaptureServingTest {
    @TempDir
    Path dir;

    @Test
    void served_calls_and_their_feedback_are_captured_and_export_as_prompt_response_pairs() throws Exception {
        Path folder = ServerFixtures.gpt2(dir.resolve("tiny"), 3, false);
        Path db = dir.resolve("capture.db");
        String id;
        String text;
        try (KeelServer server = KeelServer.builder().backend("djl").monitors(false).capture(db.toString())
                .model("storyteller", folder.toString()).port(0).start()) {
            HttpResponse<String> r = ServerFixtures.post(server, "/v1/completions",
                    "{\"prompt\":\"abc\",\"max_tokens\":3,\"temperature\":0}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
            id = body.get("inference_id").getAsString();
            text = body.getAsJsonArray("choices").get(0).getAsJsonObject().get("text").getAsString();
            HttpResponse<String> f = ServerFixtures.post(server, "/v1/feedback", "{\"inference_id\":\"" + id
                    + "\",\"kind\":\"correction\",\"value\":\"a better answer\"}");
            assertThat(f.statusCode()).as(f.body()).isEqualTo(200);
            assertThat(f.body()).contains("\"recorded\":true", "\"durable\":true");
            assertThat(ServerFixtures.post(server, "/v1/feedback",
                    "{\"inference_id\":\"not-a-call\",\"kind\":\"thumbs_up\"}").statusCode()).isEqualTo(200);
        }
        try (JdbcCaptureStore store = JdbcCaptureStore.open(db.toString())) {
            CapturedCall call = store.call(id).orElseThrow();
            assertThat(call.model()).isEqualTo("storyteller");
            assertThat(call.operation()).isEqualTo("generate");
            assertThat(call.backend()).isEqualTo("djl");
            assertThat(call.inputs()).containsExactly("abc");
            assertThat(call.outputs()).containsExactly(text);
            assertThat(store.stats(CaptureFilter.all())).satisfies(s -> {
                assertThat(s.matched()).isEqualTo(1);
                assertThat(s.unmatched()).isEqualTo(1);
            });
            TrainingExport e = store.export(ExportSpec.to(dir.resolve("pairs.jsonl")).task("prompt-response")
                    .filter(CaptureFilter.all().model("storyteller")).build());
            assertThat(LabelledFiles.readLabelled(e.file())).singleElement()
                    .satisfies(x -> assertThat(x.text() + " -> " + x.label()).isEqualTo("abc -> a better answer"));
        }
    }
}
