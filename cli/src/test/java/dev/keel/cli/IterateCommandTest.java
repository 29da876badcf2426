package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.monitor.Feedback;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keel iterate} on a tiny LoRA classifier: the contract's per-gate lines, JSON keys and exit codes. */
class IterateCommandTest {
    @TempDir
    Path dir;

    private static Path reviews(Path file, int n, long seed) throws IOException {
        Random r = new Random(seed);
        String[] things = {"food", "phone", "service", "bag", "soup", "screen", "staff", "zipper"};
        String[] when = {"today", "again", "at last", "as usual", "this week", "sadly", "frankly", "overall"};
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean p = r.nextBoolean();
            lines.add("the " + things[r.nextInt(things.length)] + " was " + (p ? "good" : "bad") + " "
                    + when[r.nextInt(when.length)] + "\t" + (p ? "pos" : "neg"));
        }
        return Files.write(file, lines);
    }

    @Test
    void a_round_prints_each_gate_then_the_json_and_promotes_when_every_gate_passes() throws IOException {
        Path base = AdaptClassifyTest.tinyBert(dir.resolve("base"));
        Path train = AdaptClassifyTest.sentiment(dir.resolve("train.tsv"), 96, 1);
        Path golden = AdaptClassifyTest.sentiment(dir.resolve("golden.tsv"), 32, 2);
        Path fresh = reviews(dir.resolve("new.tsv"), 80, 3);
        Path registry = dir.resolve("registry");
        Path champion = dir.resolve("champion");
        CliRunner.Result a = CliRunner.run("adapt", "--json", "--base", base.toString(), "--method", "lora",
                "--train", train.toString(), "--out", champion.toString(), "--epochs", "2", "--lr", "1e-2",
                "--batch", "16", "--max-length", "24");
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRunner.Result reg = CliRunner.run("registry", "register", "--json", "--registry", registry.toString(),
                "--name", "tiny", "--model", champion.toString(), "--alias", "champion");
        assertThat(reg.exitCode()).as(reg.err()).isZero();

        CliRunner.Result r = CliRunner.run("iterate", "--json", "--registry", registry.toString(), "--name", "tiny",
                "--data", fresh.toString(), "--replay-data", train.toString(), "--golden", golden.toString(),
                "--gate", "accuracy>=0", "--gate", "forgetting<=1", "--epochs", "1", "--lr", "1e-2", "--promote");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("PASS quality", "PASS forgetting", "promoted");
        Map<String, Object> j = Json.parseObject(r.lastLine(), "iterate output");
        assertThat(j).containsKeys("challenger_version", "promoted", "gates", "metrics", "seconds");
        assertThat(j.get("promoted")).isEqualTo(true);
        assertThat(((Number) j.get("challenger_version")).intValue()).isGreaterThan(1);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> gates = (List<Map<String, Object>>) j.get("gates");
        assertThat(gates).hasSize(2).allSatisfy(g -> assertThat(g).containsKeys("name", "value", "baseline",
                "threshold", "passed"));
        @SuppressWarnings("unchecked")
        Map<String, Object> metrics = (Map<String, Object>) j.get("metrics");
        assertThat(metrics).containsKeys("heldout", "golden");
        @SuppressWarnings("unchecked")
        Map<String, Object> heldout = (Map<String, Object>) metrics.get("heldout");
        assertThat(heldout).containsKeys("champion", "challenger");

        // the champion serves with capture on, a user corrects one answer: the next round replays what it served
        Path captured = dir.resolve("capture.db");
        List<String> served = List.of("the soup was bad today", "the staff was good again", "the phone was bad sadly");
        try (KeelRuntime keel = KeelRuntime.builder().registry(registry.toString()).capture(captured.toString())
                .build(); InferenceSession s = keel.open("registry:tiny@champion")) {
            ClassificationResult c = s.classify(served);
            assertThat(keel.feedback(Feedback.label(c.inferenceId() + "#0", "neg"))).isTrue();
        }

        // a round that cannot pass: refused, exit 0, champion unchanged; every gate is reported, shadow included
        CliRunner.Result refused = CliRunner.run("iterate", "--json", "--registry", registry.toString(), "--name",
                "tiny", "--data", fresh.toString(), "--gate", "accuracy>=1.01", "--gate", "shadow_agreement>=0",
                "--shadow-store", captured.toString(), "--epochs", "1", "--promote");
        assertThat(refused.exitCode()).as(refused.err()).isZero();
        assertThat(refused.err()).contains("FAIL quality", "PASS shadow");
        Map<String, Object> k = Json.parseObject(refused.lastLine(), "iterate output");
        assertThat(k.get("promoted")).isEqualTo(false);
        @SuppressWarnings("unchecked")
        Map<String, Object> shadow = (Map<String, Object>) ((Map<String, Object>) k.get("metrics")).get("shadow");
        assertThat(shadow).as("the three served inputs were replayed").isNotNull();
        CliRunner.Result show = CliRunner.run("registry", "list", "--json", "--registry", registry.toString(),
                "--name", "tiny");
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.lastLine()).contains("\"champion\"");
    }

    @Test
    void a_gpt2_model_from_keel_pretrain_iterates_on_new_text_with_a_dry_run_first() throws IOException {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        StringBuilder farm = new StringBuilder("abcdefghijklmnopqrstuvwxyz.\n");
        StringBuilder sea = new StringBuilder();
        String[] f = {"the cat sat on the mat.", "a dog ran to the log.", "the hen is in the pen."};
        String[] s = {"the ship sails on the sea.", "a gull flies over the bay.", "waves break on the rocks."};
        Random random = new Random(5);
        for (int i = 0; i < 400; i++) {
            farm.append(f[random.nextInt(f.length)]).append(i % 4 == 3 ? "\n\n" : "\n");
            sea.append(s[random.nextInt(s.length)]).append(i % 4 == 3 ? "\n\n" : "\n");
        }
        Path corpus = Files.writeString(dir.resolve("farm.txt"), farm);
        Path fresh = Files.writeString(dir.resolve("sea.txt"), sea);
        Path golden = Files.writeString(dir.resolve("farm-golden.txt"), farm.substring(farm.length() / 2));
        Path base = dir.resolve("gpt2");
        CliRunner.Result trained = CliRunner.run("pretrain", "--backend", "djl", "--corpus", corpus.toString(),
                "--out", base.toString(), "--layers", "1", "--heads", "2", "--embd", "16", "--block", "32",
                "--batch", "8", "--iters", "40", "--warmup", "2", "--lr", "1e-2", "--eval-interval", "0");
        assertThat(trained.exitCode()).as(trained.err()).isZero();
        Path registry = dir.resolve("registry");
        assertThat(CliRunner.run("registry", "register", "--registry", registry.toString(), "--name", "lm",
                "--model", base.toString(), "--alias", "champion").exitCode()).isZero();

        String[] round = {"iterate", "--json", "--registry", registry.toString(), "--name", "lm", "--data",
            fresh.toString(), "--replay-data", corpus.toString(), "--replay-fraction", "0.3", "--golden",
            golden.toString(), "--gate", "perplexity:min_rel_change=0.05", "--gate", "forgetting<=2",
            "--epochs", "1", "--lr", "3e-3", "--batch", "8", "--promote"};
        CliRunner.Result dry = CliRunner.run(concat(round, "--dry-run"));
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.err()).contains("gpt2 causal-lm", "dry run");
        Map<String, Object> plan = Json.parseObject(dry.lastLine(), "iterate output");
        assertThat(plan.get("decision")).isEqualTo("dry_run");
        assertThat(dry.lastLine()).contains("\"task\":\"causal-lm\"", "\"method\":\"full\"");

        CliRunner.Result r = CliRunner.run(round);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("PASS quality", "PASS forgetting", "promoted");
        Map<String, Object> j = Json.parseObject(r.lastLine(), "iterate output");
        assertThat(j).containsKeys("challenger_version", "promoted", "gates", "metrics", "seconds");
        assertThat(j.get("promoted")).isEqualTo(true);
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, Object>>> metrics = (Map<String, Map<String, Map<String, Object>>>) j.get("metrics");
        assertThat(metrics.get("heldout").get("challenger")).containsKeys("loss", "perplexity", "tokens");
        assertThat(metrics).containsKey("farm-golden");

        // the promoted model serves generations with capture on; the next round replays those prompts
        Path captured = dir.resolve("lm-capture.db");
        try (KeelRuntime keel = KeelRuntime.builder().registry(registry.toString()).capture(captured.toString())
                .build(); InferenceSession session = keel.open("registry:lm@champion")) {
            for (String prompt : List.of("the ship", "a gull", "the cat")) {
                session.generate(dev.keel.api.infer.GenerationRequest.of(prompt, 4));
            }
        }
        CliRunner.Result shadow = CliRunner.run("iterate", "--json", "--registry", registry.toString(), "--name", "lm",
                "--data", fresh.toString(), "--replay-fraction", "0", "--gate", "shadow_agreement>=0",
                "--shadow-store", captured.toString(), "--epochs", "1", "--batch", "8");
        assertThat(shadow.exitCode()).as(shadow.err()).isZero();
        assertThat(shadow.err()).contains("PASS shadow");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Map<String, Object>>> replayed = (Map<String, Map<String, Map<String, Object>>>)
                Json.parseObject(shadow.lastLine(), "iterate output").get("metrics");
        assertThat(((Number) replayed.get("shadow").get("challenger").get("inputs")).intValue())
                .as("the three generate calls were replayed").isEqualTo(3);

        CliRunner.Result pairs = CliRunner.run("iterate", "--registry", registry.toString(), "--name", "lm",
                "--data", reviews(dir.resolve("pairs.tsv"), 20, 1).toString(), "--replay-fraction", "0");
        assertThat(pairs.exitCode()).isEqualTo(2);
        assertThat(pairs.err()).contains("plain text");
    }

    private static String[] concat(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }

    @Test
    void bad_input_exits_2_before_any_training_or_registry_is_touched() throws IOException {
        Path fresh = reviews(dir.resolve("new.tsv"), 20, 3);
        Path registry = dir.resolve("none");
        CliRunner.Result gate = CliRunner.run("iterate", "--registry", registry.toString(), "--name", "tiny", "--data",
                fresh.toString(), "--gate", "acuracy>=0.9");
        assertThat(gate.exitCode()).isEqualTo(2);
        assertThat(gate.err()).contains("known metrics");
        CliRunner.Result noRegistry = CliRunner.run("iterate", "--registry", registry.toString(), "--name", "tiny",
                "--data", fresh.toString());
        assertThat(noRegistry.exitCode()).isEqualTo(2);
        assertThat(noRegistry.err()).contains("there is no registry");
        assertThat(registry).doesNotExist();
        CliRunner.Result both = CliRunner.run("iterate", "--registry", registry.toString(), "--name", "tiny",
                "--data", fresh.toString(), "--shadow", fresh.toString(), "--shadow-store", dir.resolve("c.db").toString());
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("give one");
        CliRunner.Result leak = CliRunner.run("iterate", "--registry", registry.toString(), "--name", "tiny", "--data",
                fresh.toString(), "--leakage", "maybe");
        assertThat(leak.exitCode()).isEqualTo(2);
    }
}
