package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.export.MonitorReport;
import dev.keel.spi.checkpoint.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitoringVerbsTest {
    @TempDir
    Path dir;

    /** Runs the CLI and returns {exit code, last stdout line}. */
    private static Object[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            int code = KeelCli.run(args);
            String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
            return new Object[] {code, lines[lines.length - 1]};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private Path write(String name, List<String> lines) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, lines);
        return p;
    }

    private static List<String> reviews(Random r, int n, int minWords, boolean shout) {
        String[] words = "the film is a good bad plot story acting fun slow great dull charming".split(" ");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            int len = minWords + r.nextInt(8);
            for (int k = 0; k < len; k++) {
                b.append(k == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            out.add((shout ? b.toString().toUpperCase() + " !!!" : b.toString()) + "\t" + r.nextInt(2));
        }
        return out;
    }

    @Test
    void drift_reports_no_drift_for_the_same_source_and_drift_with_a_report_for_a_shift() throws Exception {
        Random r = new Random(4);
        Path ref = write("ref.tsv", reviews(r, 300, 4, false));
        Path same = write("same.tsv", reviews(r, 300, 4, false));
        Path shifted = write("shifted.tsv", reviews(r, 300, 12, true));
        Object[] quiet = run("drift", "--reference", ref.toString(), "--current", same.toString(), "--json");
        assertThat(quiet[0]).isEqualTo(0);
        Map<String, Object> q = Json.parseObject((String) quiet[1], "result");
        assertThat(q.get("drift")).isEqualTo(false);
        assertThat((List<?>) q.get("tests")).hasSize(7);
        Path html = dir.resolve("report.html");
        Object[] loud = run("drift", "--reference", ref.toString(), "--current", shifted.toString(), "--json",
                "--report", html.toString());
        Map<String, Object> l = Json.parseObject((String) loud[1], "result");
        assertThat(l.get("drift")).isEqualTo(true);
        assertThat(Files.readString(html)).contains("<h2>Drift</h2>", "length_chars");
        // one vocabulary: the sentence the console prints is the JSON's summary and the report's verdict
        String summary = (String) l.get("summary");
        assertThat(summary).startsWith("drift: yes; ").contains(l.get("features_drifted") + " of 7 features drifted");
        assertThat(Files.readString(html)).contains(summary);
        CliRunner.Result human = CliRunner.run("drift", "--reference", ref.toString(), "--current", shifted.toString());
        assertThat(human.out()).contains(summary);
        Object[] psi = run("drift", "--reference", ref.toString(), "--current", shifted.toString(), "--json",
                "--method", "psi", "--threshold", "0.2");
        assertThat(Json.parseObject((String) psi[1], "result").toString()).contains("test=psi", "threshold=0.2");
    }

    @Test
    void drift_with_a_model_adds_embedding_tests_from_minilm() throws Exception {
        Random r = new Random(8);
        Path ref = write("ref.tsv", reviews(r, 40, 4, false));
        List<String> verse = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            verse.add("O Romeo, Romeo, wherefore art thou Romeo? Deny thy father and refuse thy name " + i);
        }
        Path cur = write("verse.txt", verse);
        Object[] res = run("drift", "--reference", ref.toString(), "--current", cur.toString(), "--model",
                "builtin:all-minilm-l6-v2", "--json");
        assertThat(res[0]).isEqualTo(0);
        Map<String, Object> m = Json.parseObject((String) res[1], "result");
        assertThat(m.get("drift")).isEqualTo(true);
        assertThat(m.toString()).contains("test=domain_classifier_auc", "test=mmd");
        assertThat((String) m.get("summary")).contains("embedding domain_classifier_auc", "embedding mmd");
    }

    @Test
    void drift_with_bad_input_exits_two() throws Exception {
        Path ref = write("ref.txt", List.of("one line", "another"));
        assertThat(run("drift", "--reference", dir.resolve("missing.txt").toString(), "--current", ref.toString())[0])
                .isEqualTo(2);
        assertThat(run("drift", "--reference", ref.toString(), "--current", ref.toString(), "--method", "ttest")[0])
                .isEqualTo(2);
        assertThat(run("drift", "--reference", ref.toString(), "--current", ref.toString(), "--threshold", "0.1")[0])
                .isEqualTo(2);
    }

    @Test
    void monitor_prints_the_report_a_running_service_serves() throws Exception {
        try (MonitorHub hub = MonitorHub.builder().discover(MonitorConfig.empty()).alertInterval(Duration.ZERO).build()) {
            for (int i = 0; i < 50; i++) {
                hub.onInference(new InferenceEvent("e" + i, Instant.now(), Operation.EMBED, "v1", "test", "cpu", 1000, 0,
                        2_000_000, List.of("a sentence"), 3, 0, 0, List.of(), List.of(), null));
            }
            hub.awaitIdle(Duration.ofSeconds(5));
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/monitor", ex -> {
                byte[] body = MonitorReport.json(MonitorReport.of(hub)).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            server.start();
            try {
                String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/monitor";
                Path html = dir.resolve("live.html");
                Object[] res = run("monitor", "--url", url, "--json", "--report", html.toString());
                assertThat(res[0]).isEqualTo(0);
                Map<String, Object> m = Json.parseObject((String) res[1], "result");
                assertThat(m.toString()).contains("latency", "requests_total=50");
                assertThat(Files.readString(html)).contains("<h2>Latency</h2>");
            } finally {
                server.stop(0);
            }
            assertThat(run("monitor", "--url", "http://127.0.0.1:1/monitor", "--timeout", "2")[0]).isEqualTo(2);
            for (String bad : List.of("notaurl", "ftp://host/monitor", "http:///monitor")) {
                Object[] res = run("monitor", "--url", bad);
                assertThat(res[0]).as(bad).isEqualTo(2);
            }
        }
    }
}
