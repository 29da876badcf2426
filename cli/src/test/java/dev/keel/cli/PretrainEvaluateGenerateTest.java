package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainEvaluateGenerateTest {
    private static Path corpus(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            sb.append(i % 2 == 0 ? "to be or not to be.\n" : "the cat sat on the mat.\n");
        }
        return Files.writeString(dir.resolve("corpus.txt"), sb);
    }

    @Test
    void pretrain_then_evaluate_then_generate_report_the_contract_keys(@TempDir Path dir) throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path corpus = corpus(dir);
        Path out = dir.resolve("model");
        CliRunner.Result trained = CliRunner.run("pretrain", "--json", "--corpus", corpus.toString(), "--out",
                out.toString(), "--layers", "1", "--heads", "2", "--embd", "16", "--block", "16", "--batch", "4",
                "--iters", "12", "--warmup", "2", "--lr", "1e-2", "--eval-interval", "6", "--eval-iters", "2");
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        Map<String, Object> p = Json.parseObject(trained.lastLine(), "pretrain output");
        assertThat(p).containsKeys("val_loss", "train_loss", "iters", "params", "tokens_per_s", "ms_per_iter", "out");
        assertThat(((Number) p.get("iters")).intValue()).isEqualTo(12);
        assertThat(trained.err()).contains("loss", "tok/s", "ETA");

        CliRunner.Result evaluated = CliRunner.run("evaluate", "--json", "--model", out.toString(), "--corpus",
                corpus.toString());
        assertThat(evaluated.exitCode()).as(evaluated.err()).isZero();
        Map<String, Object> e = Json.parseObject(evaluated.lastLine(), "evaluate output");
        assertThat(e).containsKeys("loss", "perplexity", "tokens");

        CliRunner.Result generated = CliRunner.run("generate", "--json", "--stream", "--model", out.toString(),
                "--prompt", "to be", "--max-tokens", "20");
        assertThat(generated.exitCode()).as(generated.err()).isZero();
        Map<String, Object> g = Json.parseObject(generated.lastLine(), "generate output");
        assertThat(g).containsKeys("text", "tokens", "ms_per_token");
        assertThat(((Number) g.get("tokens")).intValue()).isEqualTo(20);
        assertThat(generated.err()).contains("to be" + g.get("text"));
        assertThat(generated.out().strip().lines().count()).isEqualTo(1);
        assertThat(g.get("backend")).isIn("djl", "onnx", "tf");

        // without --json stdout is the text alone, so it can be piped; what made it goes to stderr
        CliRunner.Result plain = CliRunner.run("generate", "--model", out.toString(), "--prompt", "to be",
                "--max-tokens", "20", "--temperature", "0");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(plain.out().strip()).startsWith("to be").doesNotContain("tokens on");
        assertThat(plain.err()).contains("20 tokens on " + g.get("backend") + " (cpu)", "ms/token");
    }

    @Test
    void bad_input_exits_with_2_and_names_the_problem(@TempDir Path dir) throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        CliRunner.Result r = CliRunner.run("pretrain", "--corpus", empty.toString(), "--out",
                dir.resolve("out").toString(), "--iters", "2");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("empty");
        assertThat(dir.resolve("out")).doesNotExist();
        CliRunner.Result tok = CliRunner.run("pretrain", "--corpus", corpus(dir).toString(), "--out",
                dir.resolve("out").toString(), "--tokenizer", "words");
        assertThat(tok.exitCode()).isEqualTo(2);
        assertThat(tok.err()).contains("unknown tokenizer 'words'");
        CliRunner.Result missing = CliRunner.run("generate", "--model", dir.resolve("nope").toString(), "--prompt", "a");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("nope");

        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        CliRunner.Result outIsFile = CliRunner.run("pretrain", "--corpus", corpus(dir).toString(), "--out",
                file.toString(), "--iters", "2");
        assertThat(outIsFile.exitCode()).as(outIsFile.err()).isEqualTo(2);
        assertThat(outIsFile.err()).contains("is a file");
        assertThat(file).hasContent("not a folder");
        CliRunner.Result modelIsFile = CliRunner.run("evaluate", "--model", file.toString(), "--corpus",
                corpus(dir).toString());
        assertThat(modelIsFile.exitCode()).as(modelIsFile.err()).isEqualTo(2);
        assertThat(modelIsFile.err()).contains("is a file, not a model folder").doesNotContain("does not exist");
    }

    @Test
    void pretrain_never_overwrites_a_model_and_reports_no_nan_without_evaluation(@TempDir Path dir)
            throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path corpus = corpus(dir);
        Path out = dir.resolve("model");
        String[] args = {"pretrain", "--json", "--corpus", corpus.toString(), "--out", out.toString(), "--layers", "1",
            "--heads", "2", "--embd", "16", "--block", "16", "--batch", "4", "--iters", "3", "--eval-interval", "0"};
        CliRunner.Result first = CliRunner.run(args);
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.lastLine()).doesNotContain("NaN").contains("\"val_loss\":null");
        byte[] weights = Files.readAllBytes(out.resolve("model.safetensors"));
        CliRunner.Result again = CliRunner.run(args);
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).contains("holds a pre-training run (saved at step 3)", "--resume",
                "Keel never overwrites a model");
        assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).isEqualTo(weights);
    }
}
