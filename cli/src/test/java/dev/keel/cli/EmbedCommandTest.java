package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedCommandTest {
    @TempDir
    Path dir;

    /** Runs the CLI and returns {exit code, stdout, stderr}. */
    static Object[] keel(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = KeelCli.run(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static Map<String, Object> lastJson(String stdout) {
        String[] lines = stdout.strip().split("\n");
        return Json.parseObject(lines[lines.length - 1], "stdout");
    }

    @Test
    void embed_writes_one_vector_per_line_and_reports_the_contract_keys() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "a fine film\nterrible , just terrible\n\nok\n");
        Path out = dir.resolve("out.jsonl");
        Object[] r = keel("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2", "--input",
                input.toString(), "--out", out.toString(), "--batch", "2", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        Map<String, Object> json = lastJson((String) r[1]);
        assertThat(json).containsKeys("count", "dim", "sentences_per_s");
        assertThat(((Number) json.get("count")).intValue()).isEqualTo(4);
        assertThat(((Number) json.get("dim")).intValue()).isEqualTo(384);
        assertThat(((Number) json.get("sentences_per_s")).doubleValue()).isPositive();
        List<String> rows = Files.readAllLines(out);
        assertThat(rows).hasSize(4);
        Map<String, Object> first = Json.parseObject(rows.get(0), "row");
        assertThat(first.get("text")).isEqualTo("a fine film");
        assertThat((List<?>) first.get("embedding")).hasSize(384);
    }

    @Test
    void a_missing_input_file_exits_2_naming_it() {
        Path out = dir.resolve("out.jsonl");
        Object[] r = keel("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2", "--input",
                dir.resolve("nope.txt").toString(), "--out", out.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("nope.txt");
        assertThat(out).doesNotExist();
    }
}
