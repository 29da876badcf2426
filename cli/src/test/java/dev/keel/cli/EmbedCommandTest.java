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
        assertThat(json).containsKeys("count", "dim", "sentences_per_s").doesNotContainKey("truncated");
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

    @Test
    void an_empty_input_or_a_folder_as_output_exits_2_before_any_work() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        Path out = dir.resolve("out.jsonl");
        CliRunner.Result r = CliRunner.run("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2",
                "--input", empty.toString(), "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("is empty");
        assertThat(out).doesNotExist();

        Path input = Files.writeString(dir.resolve("in.txt"), "a fine film\n");
        Path folder = Files.createDirectories(dir.resolve("vectors"));
        CliRunner.Result f = CliRunner.run("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2",
                "--input", input.toString(), "--out", folder.toString());
        assertThat(f.exitCode()).as(f.err()).isEqualTo(2);
        assertThat(f.err()).contains("is a folder").doesNotContain("embedding");
    }

    @Test
    void a_huge_line_is_read_only_up_to_a_bound_embedded_from_its_start_and_reported() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "short one\n" + "word ".repeat(200_000) + "\nanother short one\n");
        Path out = dir.resolve("out.jsonl");
        CliRunner.Result r = CliRunner.run("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2",
                "--input", input.toString(), "--out", out.toString(), "--max-length", "64", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = Json.parseObject(r.lastLine(), "stdout");
        assertThat(((Number) json.get("count")).intValue()).isEqualTo(3);
        assertThat(((Number) json.get("truncated")).intValue()).isEqualTo(1);
        assertThat(r.err()).contains("1 of 3 lines were longer than --max-length 64 tokens", "line 2");
        List<String> rows = Files.readAllLines(out);
        Map<String, Object> huge = Json.parseObject(rows.get(1), "row");
        assertThat(huge).containsEntry("truncated", true);
        assertThat((String) huge.get("text")).hasSizeLessThanOrEqualTo(16_384);
        assertThat(Json.parseObject(rows.get(0), "row")).doesNotContainKey("truncated");
    }

    @Test
    void bytes_that_are_not_utf8_exit_2_naming_the_line_and_byte_offset() throws Exception {
        Path input = dir.resolve("latin1.txt");
        Files.write(input, new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        CliRunner.Result r = CliRunner.run("embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2",
                "--input", input.toString(), "--out", dir.resolve("out.jsonl").toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("not UTF-8", "line 2 (byte offset 6)", "0xe9", "iconv");
        assertThat(dir.resolve("out.jsonl")).doesNotExist();
    }
}
