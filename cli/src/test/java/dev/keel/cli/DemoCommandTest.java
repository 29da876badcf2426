package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.data.CorpusTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job must keep working: a short run of the whole lifecycle on the bundled data. */
class DemoCommandTest {
    @Test
    void the_demo_runs_every_stage_and_the_engines_agree(@TempDir Path dir) {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("cache").toString());
        Path out = dir.resolve("demo");
        CliRunner.Result r = CliRunner.run("demo", "--out", out.toString(), "--iters", "30", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> json = Json.parseObject(r.lastLine(), "demo output");
        double djl = (Double) json.get("val_loss_djl");
        assertThat(djl).as("30 steps already beat a uniform guess over ~60 characters").isLessThan(Math.log(60));
        assertThat((Double) json.get("val_loss_onnx")).isCloseTo(djl, within(1e-4));
        assertThat((Double) json.get("val_loss_tf")).isCloseTo(djl, within(1e-4));
        assertThat((Double) json.get("classify_accuracy")).as("MiniLM head on sentiment").isGreaterThan(0.7);
        assertThat(json.get("drift")).isEqualTo(true);
        assertThat(out.resolve("gpt2/model.safetensors")).exists();
        assertThat(out.resolve("drift.html")).exists();
        assertThat(Files.exists(out.resolve("predictions.jsonl"))).isTrue();
        // stage four: the alert's round promotes a challenger; the narrow one without replay is refused
        assertThat(json.get("round_promoted")).as(r.err()).isEqualTo(true);
        assertThat((Double) json.get("heldout_accuracy_after")).isGreaterThan((Double) json.get("heldout_accuracy_before"));
        assertThat(json.get("second_round_decision")).isEqualTo("refused");
        assertThat(json.get("second_round_failed_gates").toString()).contains("film-dev");
        assertThat(out.resolve("iteration.html")).exists();
    }
}
