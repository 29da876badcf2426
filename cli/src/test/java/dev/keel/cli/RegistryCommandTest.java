package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keel registry ...} with the JSON keys of CLI.md, and registry references in {@code --model}: a head
 * adapted over the builtin MiniLM is registered twice, aliased, rolled back, verified and classified with.
 */
class RegistryCommandTest {
    @TempDir
    static Path dir;

    static Path head;
    static Path train;

    @BeforeAll
    static void adaptAHead() throws IOException {
        train = Files.writeString(dir.resolve("train.tsv"), String.join("\n", "a wonderful, moving film\t1",
                "I loved every minute\t1", "brilliant acting\t1", "awful and boring\t0", "I hated it\t0",
                "a dull mess\t0") + "\n");
        head = dir.resolve("head");
        CliRunner.Result r = CliRunner.run("adapt", "--base", "builtin:all-minilm-l6-v2", "--method", "head", "--task",
                "classify", "--train", train.toString(), "--out", head.toString(), "--epochs", "30", "--json");
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
    }

    private static Map<String, Object> ok(String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertThat(r.exitCode()).as("keel %s\nstderr: %s", String.join(" ", args), r.err()).isZero();
        return Json.parseObject(r.lastLine(), "stdout");
    }

    @Test
    void register_list_show_alias_rollback_verify_and_classify_through_a_registry_reference() throws IOException {
        String reg = dir.resolve("registry-a").toString();
        Map<String, Object> first = ok("registry", "register", "--registry", reg, "--name", "sentiment", "--model",
                head.toString(), "--alias", "champion", "--tag", "data=toy", "--metric", "dev_accuracy=0.8",
                "--reason", "first", "--json");
        assertThat(first).containsKeys("name", "version", "sha256", "alias");
        assertThat(first.get("version")).isEqualTo(1L);
        assertThat(first.get("alias")).isEqualTo("champion");
        assertThat(ok("registry", "register", "--registry", reg, "--name", "sentiment", "--model", head.toString(),
                "--json").get("version")).isEqualTo(2L);

        Map<String, Object> moved = ok("registry", "alias", "--registry", reg, "--name", "sentiment", "--alias",
                "champion", "--version", "2", "--reason", "retrained", "--json");
        assertThat(moved).containsEntry("version", 2L).containsEntry("previous", 1L).containsKeys("name", "alias");
        Map<String, Object> back = ok("registry", "rollback", "--registry", reg, "--name", "sentiment", "--alias",
                "champion", "--json");
        assertThat(back).containsEntry("version", 1L).containsEntry("previous", 2L);

        List<?> versions = (List<?>) ok("registry", "list", "--registry", reg, "--name", "sentiment", "--json").get("versions");
        assertThat(versions).hasSize(2);
        Map<?, ?> shown = (Map<?, ?>) ok("registry", "show", "--registry", reg, "--name", "sentiment", "--alias",
                "champion", "--json").get("version");
        assertThat(shown.get("version")).isEqualTo(1L);
        Map<?, ?> lineage = (Map<?, ?>) shown.get("lineage");
        assertThat(lineage.get("method")).isEqualTo("head");
        assertThat(lineage.get("base_model")).isEqualTo("builtin:all-minilm-l6-v2");
        assertThat(((Map<?, ?>) shown.get("metrics")).get("dev_accuracy")).isEqualTo(0.8);
        assertThat(shown.get("model_card").toString()).contains("# sentiment version 1");

        Map<String, Object> verified = ok("registry", "verify", "--registry", reg, "--name", "sentiment", "--json");
        assertThat(verified).containsEntry("ok", true).containsEntry("mismatches", List.of());

        Map<String, Object> classified = ok("classify", "--registry", reg, "--model", "registry:sentiment@champion",
                "--input", train.toString(), "--json");
        assertThat((Double) classified.get("accuracy")).isGreaterThanOrEqualTo(5 / 6.0);
        assertThat(ok("classify", "--registry", reg, "--model", "registry:sentiment/2", "--input", train.toString(),
                "--json")).containsEntry("count", 6L);

        Map<String, Object> deleted = ok("registry", "alias", "--registry", reg, "--name", "sentiment", "--alias",
                "champion", "--delete", "--json");
        assertThat(deleted).containsEntry("previous", 1L).containsEntry("action", "delete");
        assertThat(deleted.get("version")).isNull();
    }

    @Test
    void a_tampered_version_fails_verify_with_exit_1_and_is_refused_by_classify_with_exit_2() throws IOException {
        String reg = dir.resolve("registry-b").toString();
        ok("registry", "register", "--registry", reg, "--name", "s", "--model", head.toString(), "--json");
        Path weights = dir.resolve("registry-b/artifacts/s/1/head.safetensors");
        weights.toFile().setWritable(true);
        Files.write(weights, new byte[] {0});

        CliRunner.Result verify = CliRunner.run("registry", "verify", "--registry", reg, "--name", "s", "--json");
        assertThat(verify.exitCode()).isEqualTo(1);
        Map<String, Object> json = Json.parseObject(verify.lastLine(), "stdout");
        assertThat(json).containsEntry("ok", false);
        assertThat(json.get("mismatches").toString()).contains("changed head.safetensors");

        CliRunner.Result classify = CliRunner.run("classify", "--registry", reg, "--model", "registry:s/1", "--input",
                train.toString());
        assertThat(classify.exitCode()).isEqualTo(2);
        assertThat(classify.err()).contains("registry:s/1").contains("register the model again");
    }

    @Test
    void bad_input_exits_2_with_the_fix_and_writes_nothing() throws IOException {
        Path reg = dir.resolve("registry-c");
        Path notModel = Files.createDirectories(dir.resolve("notes"));
        Files.writeString(notModel.resolve("a.txt"), "x");
        String[][] bad = {
            {"registry", "register", "--registry", reg.toString(), "--name", "s", "--model", notModel.toString()},
            {"registry", "register", "--registry", reg.toString(), "--name", "s", "--model", head.toString(), "--tag", "novalue"},
            {"registry", "register", "--registry", reg.toString(), "--name", "bad name", "--model", head.toString()},
            {"registry", "list", "--registry", reg.toString()},
            {"registry", "alias", "--registry", reg.toString(), "--name", "s", "--alias", "champion"},
            {"registry", "list", "--registry", "jdbc:postgresql://localhost:notaport/keel"},
            {"registry", "list", "--registry", "jdbc:mysql://localhost/keel"},
            {"registry", "register", "--registry", head.toString(), "--name", "s", "--model", head.toString()},
            {"classify", "--registry", reg.toString(), "--model", "registry:s@champion", "--input", train.toString()},
            {"classify", "--registry", reg.toString(), "--model", "registry:s/x", "--input", train.toString()},
        };
        for (String[] args : bad) {
            CliRunner.Result r = CliRunner.run(args);
            assertThat(r.exitCode()).as("keel %s: %s", String.join(" ", args), r.err()).isEqualTo(2);
            assertThat(r.err()).as("keel %s", String.join(" ", args)).startsWith("keel ").doesNotContain("Exception");
        }
        assertThat(reg).doesNotExist();
        try (var s = Files.list(head)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json",
                    "head.safetensors", "keel.json");
        }

        ok("registry", "register", "--registry", reg.toString(), "--name", "s", "--model", head.toString(), "--json");
        CliRunner.Result unknown = CliRunner.run("registry", "alias", "--registry", reg.toString(), "--name", "s",
                "--alias", "champion", "--version", "9");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("s/9").contains("[1]");
        CliRunner.Result noAlias = CliRunner.run("registry", "rollback", "--registry", reg.toString(), "--name", "s",
                "--alias", "champion");
        assertThat(noAlias.exitCode()).isEqualTo(2);
        assertThat(noAlias.err()).contains("not set");
    }
}
