package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The portability promise through the command line: a gpt2 pre-trained on djl evaluates to the same loss
 * and generates the same greedy text on onnx (which exports the folder to an ONNX graph on first use).
 */
class DjlOnnxParityTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path corpus;

    @BeforeAll
    static void pretrainOnDjl() throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            sb.append(i % 3 == 0 ? "to be or not to be.\n" : "the cat sat on the mat.\n");
        }
        corpus = Files.writeString(dir.resolve("corpus.txt"), sb);
        model = dir.resolve("model");
        CliRunner.Result trained = CliRunner.run("pretrain", "--json", "--backend", "djl", "--corpus",
                corpus.toString(), "--out", model.toString(), "--layers", "2", "--heads", "2", "--embd", "16",
                "--block", "16", "--batch", "4", "--iters", "20", "--warmup", "2", "--lr", "1e-2",
                "--eval-interval", "10", "--eval-iters", "2");
        assertThat(trained.exitCode()).as(trained.err()).isZero();
    }

    @AfterAll
    static void clearProperties() {
        System.clearProperty("keel.cache");
    }

    static Map<String, Object> json(CliRunner.Result r) {
        assertThat(r.exitCode()).as(r.err()).isZero();
        return Json.parseObject(r.lastLine(), "stdout");
    }

    @Test
    void evaluate_gives_the_same_loss_on_djl_and_onnx() {
        for (String split : new String[] {"val", "all"}) {
            Map<String, Object> djl = json(CliRunner.run("evaluate", "--json", "--backend", "djl", "--model",
                    model.toString(), "--corpus", corpus.toString(), "--split", split));
            Map<String, Object> onnx = json(CliRunner.run("evaluate", "--json", "--backend", "onnx", "--model",
                    model.toString(), "--corpus", corpus.toString(), "--split", split));
            assertThat(((Number) onnx.get("tokens")).longValue()).isEqualTo(((Number) djl.get("tokens")).longValue());
            assertThat(((Number) onnx.get("loss")).doubleValue()).as(split)
                    .isCloseTo(((Number) djl.get("loss")).doubleValue(), within(1e-4));
        }
    }

    @Test
    void greedy_generation_gives_the_same_tokens_on_djl_and_onnx_past_the_context() {
        String[] args = {"generate", "--json", "--model", model.toString(), "--prompt", "to be", "--max-tokens", "40",
            "--temperature", "0"};
        Map<String, Object> djl = json(CliRunner.run(concat(args, "--backend", "djl")));
        Map<String, Object> onnx = json(CliRunner.run(concat(args, "--backend", "onnx")));
        assertThat(((Number) onnx.get("tokens")).intValue()).isEqualTo(40);
        assertThat(onnx.get("text")).isEqualTo(djl.get("text"));
    }

    @Test
    void export_writes_an_onnx_folder_and_a_tf_saved_model_that_evaluate_to_the_djl_loss() {
        Map<String, Object> djl = json(CliRunner.run("evaluate", "--json", "--backend", "djl", "--model",
                model.toString(), "--corpus", corpus.toString()));
        Path onnxDir = dir.resolve("exported-onnx");
        Map<String, Object> onnx = json(CliRunner.run("export", "--json", "--backend", "onnx", "--model",
                model.toString(), "--out", onnxDir.toString()));
        assertThat(onnx).containsEntry("backend", "onnx").containsEntry("family", "gpt2");
        assertThat(onnx.get("files")).asInstanceOf(InstanceOfAssertFactories.LIST).contains("model.onnx", "model.safetensors", "config.json");
        Map<String, Object> served = json(CliRunner.run("evaluate", "--json", "--backend", "onnx", "--model",
                onnxDir.toString(), "--corpus", corpus.toString()));
        assertThat(((Number) served.get("loss")).doubleValue())
                .isCloseTo(((Number) djl.get("loss")).doubleValue(), within(1e-4));

        Map<String, Object> tf = json(CliRunner.run("export", "--json", "--backend", "tf", "--model",
                model.toString(), "--out", dir.resolve("exported-tf").toString()));
        assertThat(tf.get("files")).asInstanceOf(InstanceOfAssertFactories.LIST).contains("saved_model");
    }

    @Test
    void export_with_a_backend_that_cannot_export_exits_2_and_writes_nothing() {
        Path out = dir.resolve("never");
        CliRunner.Result r = CliRunner.run("export", "--backend", "djl", "--model", model.toString(), "--out",
                out.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("'djl'").contains("export");
        assertThat(out).doesNotExist();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
