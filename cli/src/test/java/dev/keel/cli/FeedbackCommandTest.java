package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.registry.capture.JdbcCaptureStore;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keel feedback add|export|stats} with the JSON keys of CLI.md, on a store holding calls a host
 * captured, and bad input that exits 2 and writes nothing.
 */
class FeedbackCommandTest {
    @TempDir
    Path dir;

    Path store;

    /** Three classification calls of "sentiment" version 1, as a serving host would have captured them. */
    @BeforeEach
    void captureCalls() {
        store = dir.resolve("capture.db");
        try (JdbcCaptureStore s = JdbcCaptureStore.open(store.toString())) {
            var served = s.listener("sentiment", "1");
            served.onInference(call("c1", "a wonderful film", "1"));
            served.onInference(call("c2", "a dull mess", "1"));
            served.onInference(call("c3", "I hated it", "0"));
            assertThat(s.flush(Duration.ofSeconds(60))).isTrue();
        }
    }

    private static InferenceEvent call(String id, String text, String label) {
        return new InferenceEvent(id, Instant.now(), Operation.CLASSIFY, "v", "onnx", "cpu", 0, 0, 1_000_000, List.of(text), 4,
                0, 0, List.of(label), List.of(0.8), null);
    }

    private static Map<String, Object> ok(String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertThat(r.exitCode()).as("keel %s\nstderr: %s", String.join(" ", args), r.err()).isZero();
        return Json.parseObject(r.lastLine(), "stdout");
    }

    private static CliRunner.Result bad(String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertThat(r.exitCode()).as("keel %s\nstdout: %s", String.join(" ", args), r.out()).isEqualTo(2);
        return r;
    }

    @Test
    void add_records_feedback_and_export_writes_training_data_that_keel_adapt_reads() throws Exception {
        String db = store.toString();
        Map<String, Object> added = ok("feedback", "add", "--store", db, "--id", "c1", "--thumbs", "up", "--json");
        assertThat(added).containsEntry("recorded", 1L).containsEntry("matched", 1L);
        ok("feedback", "add", "--store", db, "--id", "c2", "--thumbs", "down", "--json");
        ok("feedback", "add", "--store", db, "--id", "c3", "--label", "0", "--json");
        Map<String, Object> ghost = ok("feedback", "add", "--store", db, "--id", "ghost", "--label", "1", "--json");
        assertThat(ghost).containsEntry("unmatched", 1L);
        Path bulk = Files.writeString(dir.resolve("more.jsonl"), """
                {"id": "c3", "kind": "score", "score": 2}
                {"id": "c1", "kind": "correction", "value": "1", "at": "2030-01-01T00:00:00Z"}
                """);
        assertThat(ok("feedback", "add", "--store", db, "--file", bulk.toString(), "--json"))
                .containsEntry("recorded", 2L);

        Map<String, Object> stats = ok("feedback", "stats", "--store", db, "--json");
        @SuppressWarnings("unchecked")
        Map<String, Object> counts = (Map<String, Object>) stats.get("counts");
        assertThat(counts).containsEntry("feedback", 6L).containsEntry("unmatched", 1L).containsEntry("thumbs_up", 1L)
                .containsEntry("calls", 3L).containsEntry("calls_with_feedback", 3L);

        Path out = dir.resolve("train.tsv");
        Map<String, Object> export = ok("feedback", "export", "--store", db, "--out", out.toString(), "--model",
                "sentiment", "--json");
        assertThat(export).containsKeys("rows", "sha256", "sources", "out", "manifest");
        assertThat(export.get("rows")).isEqualTo(3L);
        assertThat(LabelledFiles.readLabelled(out)).extracting(e -> e.text() + "=" + e.label())
                .containsExactly("a dull mess=0", "I hated it=0", "a wonderful film=1");
        assertThat(Path.of((String) export.get("manifest"))).exists();

        // the next version trained on the export cites it: keel adapt records the file's sha-256, the registry keeps it
        Path next = dir.resolve("next");
        ok("adapt", "--base", "builtin:all-minilm-l6-v2", "--method", "head", "--task", "classify", "--train",
                out.toString(), "--out", next.toString(), "--epochs", "2", "--json");
        Map<String, Object> registered = ok("registry", "register", "--registry", dir.resolve("registry").toString(),
                "--name", "sentiment", "--model", next.toString(), "--json");
        Map<String, Object> shown = ok("registry", "show", "--registry", dir.resolve("registry").toString(), "--name",
                "sentiment", "--version", String.valueOf(registered.get("version")), "--json");
        assertThat(Json.compact(shown)).contains("\"train\":\"" + export.get("sha256") + "\"");

        Map<String, Object> recent = ok("feedback", "stats", "--store", db, "--since", "2029-12-31", "--json");
        @SuppressWarnings("unchecked")
        Map<String, Object> recentCounts = (Map<String, Object>) recent.get("counts");
        assertThat(recentCounts).containsEntry("feedback", 1L).containsEntry("correction", 1L);
    }

    @Test
    void bad_input_exits_2_with_the_fix_and_writes_nothing() throws Exception {
        Path fresh = dir.resolve("new.db");
        String db = fresh.toString();
        assertThat(bad("feedback", "add", "--store", db, "--id", "c1").err()).contains("--label L");
        assertThat(bad("feedback", "add", "--store", db, "--id", "c1", "--thumbs", "sideways").err()).contains("up or down");
        assertThat(bad("feedback", "add", "--store", db, "--id", "c1", "--label", " ").err()).contains("empty value");
        assertThat(bad("feedback", "add", "--store", db, "--id", "c1", "--label", "1", "--thumbs", "up").err())
                .contains("mutually exclusive");
        assertThat(bad("feedback", "add", "--store", db, "--id", "c1", "--label", "1", "--at", "yesterday").err())
                .contains("not a time");
        assertThat(fresh).doesNotExist();

        assertThat(bad("feedback", "stats", "--store", db).err()).contains("no capture store");
        assertThat(bad("feedback", "export", "--store", db, "--out", dir.resolve("x.tsv").toString()).err())
                .contains("no capture store");
        assertThat(fresh).doesNotExist();

        Path modelFolder = Files.createDirectories(dir.resolve("some-model"));
        assertThat(bad("feedback", "stats", "--store", modelFolder.toString()).err()).contains("no capture store");
        assertThat(modelFolder).isEmptyDirectory();

        Path txt = dir.resolve("train.txt");
        assertThat(bad("feedback", "export", "--store", store.toString(), "--out", txt.toString()).err())
                .contains(".tsv");
        assertThat(bad("feedback", "export", "--store", store.toString(), "--out", dir.resolve("y.tsv").toString(),
                "--since", "soon").err()).contains("not a time");
        assertThat(bad("feedback", "export", "--store", store.toString(), "--out", dir.resolve("z.tsv").toString(),
                "--task", "summarise").err()).contains("prompt-response");
        assertThat(txt).doesNotExist();
        assertThat(dir.resolve("y.tsv")).doesNotExist();
        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"id\": \"c1\", \"kind\": \"like\"}\n");
        assertThat(bad("feedback", "add", "--store", store.toString(), "--file", broken.toString()).err())
                .contains("line 1");
        assertThat(bad("feedback").err()).contains("add, export or stats");
    }
}
