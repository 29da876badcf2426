package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keel adapt --method lora} on a gpt2 folder, then the adapter folder served by generate and evaluate. */
class AdaptGpt2LoraTest {
    @Test
    void a_gpt2_lora_folder_trains_then_generates_and_evaluates_on_djl_and_onnx(@TempDir Path dir) throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path original = Files.writeString(dir.resolve("original.txt"), "the cat sat on the mat.\nto be or not.\n".repeat(60));
        Path domain = Files.writeString(dir.resolve("domain.txt"), "the mat sat on the cat.\nnot to be or to.\n".repeat(60));
        Path base = dir.resolve("base");
        CliRunner.Result trained = CliRunner.run("pretrain", "--backend", "djl", "--corpus", original.toString(),
                "--out", base.toString(), "--layers", "1", "--heads", "2", "--embd", "16", "--block", "16",
                "--batch", "4", "--iters", "20", "--warmup", "2", "--lr", "1e-2", "--eval-interval", "0");
        assertThat(trained.exitCode()).as(trained.err()).isZero();

        Path lora = dir.resolve("lora");
        CliRunner.Result adapted = CliRunner.run("adapt", "--json", "--base", base.toString(), "--task", "causal-lm",
                "--method", "lora", "--train", domain.toString(), "--reference", original.toString(),
                "--out", lora.toString(), "--max-steps", "20", "--batch", "8", "--max-length", "16", "--lr", "3e-2");
        assertThat(adapted.exitCode()).as(adapted.err()).isZero();
        Map<String, Object> a = Json.parseObject(adapted.lastLine(), "adapt output");
        assertThat(a).containsEntry("method", "lora").containsKeys("dev_loss_before", "forgetting");
        // c_attn of one layer, r 8: A [8, 16] + B [48, 8]
        assertThat(((Number) a.get("trainable_params")).longValue()).isEqualTo(8 * 16 + 48 * 8);
        assertThat(((Number) a.get("dev_loss")).doubleValue()).isLessThan(((Number) a.get("dev_loss_before")).doubleValue());
        assertThat(lora.resolve("adapter_model.safetensors")).exists();

        for (String backend : new String[] {"djl", "onnx"}) {
            CliRunner.Result generated = CliRunner.run("generate", "--json", "--backend", backend, "--model",
                    lora.toString(), "--prompt", "the", "--max-tokens", "8", "--temperature", "0");
            assertThat(generated.exitCode()).as(generated.err()).isZero();
            CliRunner.Result evaluated = CliRunner.run("evaluate", "--json", "--backend", backend, "--model",
                    lora.toString(), "--corpus", domain.toString());
            assertThat(evaluated.exitCode()).as(evaluated.err()).isZero();
            assertThat(((Number) Json.parseObject(evaluated.lastLine(), "evaluate output").get("loss")).doubleValue())
                    .isCloseTo(((Number) a.get("dev_loss")).doubleValue(), org.assertj.core.api.Assertions.within(1e-3));
        }
    }

    @Test
    void a_bad_rank_or_target_exits_with_2_naming_the_problem_and_writes_nothing(@TempDir Path dir) throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), "the cat sat on the mat.\n".repeat(40));
        Path base = dir.resolve("base");
        assertThat(CliRunner.run("pretrain", "--backend", "djl", "--corpus", corpus.toString(), "--out", base.toString(),
                "--layers", "1", "--heads", "2", "--embd", "16", "--block", "16", "--batch", "4", "--iters", "2",
                "--warmup", "1", "--eval-interval", "0").exitCode()).isZero();
        Path out = dir.resolve("out");
        CliRunner.Result rank = CliRunner.run("adapt", "--base", base.toString(), "--task", "causal-lm", "--method",
                "lora", "--train", corpus.toString(), "--out", out.toString(), "--lora-r", "0");
        assertThat(rank.exitCode()).isEqualTo(2);
        assertThat(rank.err()).contains("rank must be positive");
        CliRunner.Result target = CliRunner.run("adapt", "--base", base.toString(), "--task", "causal-lm", "--method",
                "lora", "--train", corpus.toString(), "--out", out.toString(), "--lora-targets", "query");
        assertThat(target.exitCode()).isEqualTo(2);
        assertThat(target.err()).contains("'query'", "c_attn");
        assertThat(out).doesNotExist();
    }
}
