package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedCommandTest {
    @TempDir
    Path dir;

    @Test
    void embed_writes_one_vector_per_line_and_reports_the_contract_keys() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "a fine film\nterrible , just terrible\n\nok\n");
        Path out = dir.resolve("out.jsonl");
        CliRunner.Result r = CliRunner.run("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2", "--input",
                input.toString(), "--out", out.toString(), "--batch", "2", "--json");
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isEqualTo(0);
        Map<String, Object> json = Json.parseObject(r.lastLine(), "stdout");
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
        CliRunner.Result r = CliRunner.run("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2", "--input",
                dir.resolve("nope.txt").toString(), "--out", out.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("nope.txt");
        assertThat(out).doesNotExist();
    }
}
