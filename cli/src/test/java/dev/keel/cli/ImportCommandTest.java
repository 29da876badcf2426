package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.model.ModelFamily;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.ModelFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportCommandTest {
    @TempDir
    Path dir;

    @Test
    void import_writes_the_builtin_as_a_bert_folder_that_djl_serves() {
        Path out = dir.resolve("minilm");
        CliRunner.Result r = CliRunner.run("import", "--model", "builtin:all-minilm-l6-v2", "--out", out.toString(), "--json");
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isEqualTo(0);
        Map<String, Object> json = Json.parseObject(r.lastLine(), "stdout");
        assertThat(json).containsKeys("out", "family", "params", "seconds");
        assertThat(json.get("family")).isEqualTo("bert");
        assertThat(((Number) json.get("params")).longValue()).isBetween(22_000_000L, 23_000_000L);
        assertThat(ModelFolder.readConfig(out).family()).isEqualTo(ModelFamily.BERT);

        Path input = dir.resolve("in.txt");
        CliRunner.Result embed = CliRunner.run("embed", "--backend", "djl", "--model", out.toString(), "--input",
                write(input, "a fine film\n"), "--out", dir.resolve("vectors.jsonl").toString(), "--json");
        assertThat(embed.exitCode()).as("stderr: %s", embed.err()).isEqualTo(0);
    }

    @Test
    void an_unknown_builtin_exits_2_and_writes_nothing() {
        Path out = dir.resolve("nothing");
        CliRunner.Result r = CliRunner.run("import", "--model", "builtin:no-such-model", "--out", out.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("no-such-model");
        assertThat(out).doesNotExist();
        assertThat(dir).isEmptyDirectory();
    }

    private static String write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return file.toString();
    }
}
