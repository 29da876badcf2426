package dev.keel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spi.checkpoint.FolderLock;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.train.PretrainCheckpoint;
import dev.keel.spi.train.PretrainLoop;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupting a real {@code keel pretrain} process: SIGTERM stops it at a step boundary with a resumable
 * checkpoint and exit status 143 (no JVM crash, no crash log), a second run into the same folder is refused while
 * the first holds it, and after a {@code kill -9} nothing acknowledged is lost and nothing half-written blocks
 * the resumed run.
 */
class InterruptAndResumeTest {
    private static List<String> args(Path corpus, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("pretrain", "--backend", "djl", "--corpus", corpus.toString(),
                "--out", out.toString(), "--layers", "2", "--heads", "2", "--embd", "48", "--block", "32",
                "--batch", "8", "--lr", "3e-3", "--warmup", "10", "--eval-interval", "25", "--eval-iters", "2",
                "--log-interval", "5"));
        a.addAll(List.of(more));
        return a;
    }

    private static Path corpus(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        String[] lines = {"to be or not to be, that is the question.\n", "the cat sat on the mat.\n",
            "a horse, a horse, my kingdom for a horse!\n", "all the world's a stage.\n"};
        for (int i = 0; i < 400; i++) {
            sb.append(lines[(i * 7) % lines.length]);
        }
        return Files.writeString(dir.resolve("corpus.txt"), sb);
    }

    /** The log's entries of one type, as (step) numbers in file order. */
    private static List<Integer> logged(Path out, String type) {
        Path log = out.resolve(PretrainLoop.LOG);
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            List<Integer> steps = new ArrayList<>();
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                try {
                    Map<String, Object> entry = Json.parseData(line);
                    if (type.equals(entry.get("type"))) {
                        steps.add(((Number) entry.get("step")).intValue());
                    }
                } catch (IllegalArgumentException torn) {
                    // the child may be writing this line right now
                }
            }
            return steps;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String[] array(List<String> a) {
        return a.toArray(String[]::new);
    }

    @Test
    void sigterm_stops_at_a_step_boundary_saves_the_run_and_exits_143(@TempDir Path dir) throws Exception {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path corpus = corpus(dir);
        Path out = dir.resolve("model");
        ChildKeel child = ChildKeel.start(dir, array(args(corpus, out, "--iters", "5000")));
        child.awaitWhileAlive(() -> logged(out, "step").stream().anyMatch(s -> s >= 30), Duration.ofMinutes(3),
                "30 steps");

        CliRunner.Result second = CliRunner.run(array(args(corpus, out, "--iters", "5000", "--resume")));
        assertThat(second.exitCode()).as(second.err()).isEqualTo(2);
        assertThat(second.err()).contains("is being written by keel process " + child.process().pid());

        assertThat(child.process().isAlive()).as("still training when the signal is sent").isTrue();
        child.process().destroy(); // SIGTERM
        assertThat(child.process().waitFor(2, TimeUnit.MINUTES)).isTrue();
        String err = child.err();
        assertThat(child.process().exitValue()).as(err).isEqualTo(143);
        Matcher m = Pattern.compile("stopped by SIGTERM at step (\\d+) of 5000; the run is saved in (.+)\\. "
                + "Continue it with: keel pretrain .*--resume").matcher(err);
        assertThat(m.find()).as(err).isTrue();
        int stoppedAt = Integer.parseInt(m.group(1));
        assertThat(stoppedAt).isGreaterThanOrEqualTo(30);
        assertThat(PretrainCheckpoint.savedStep(out)).contains(stoppedAt);
        assertThat(ChildKeel.crashLogs(dir)).as("JVM crash logs").isEmpty();
        assertThat(out.resolve(FolderLock.FILE)).as("released on the way out").doesNotExist();

        CliRunner.Result resumed = CliRunner.run(array(args(corpus, out, "--iters",
                Integer.toString(stoppedAt + 10), "--resume", "--json")));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("steps " + stoppedAt + " to " + (stoppedAt + 10));
        assertThat(((Number) Json.parseObject(resumed.lastLine(), "json").get("iters")).intValue())
                .isEqualTo(stoppedAt + 10);
        assertThat(logged(out, "step")).doesNotHaveDuplicates();
    }

    @Test
    void after_kill_9_the_acknowledged_checkpoint_resumes_and_leftovers_are_cleared(@TempDir Path dir)
            throws Exception {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path corpus = corpus(dir);
        Path out = dir.resolve("model");
        ChildKeel child = ChildKeel.start(dir, array(args(corpus, out, "--iters", "5000")));
        child.awaitWhileAlive(() -> logged(out, "eval").stream().anyMatch(s -> s >= 50), Duration.ofMinutes(3),
                "the evaluation at step 50");
        int acknowledged = logged(out, "eval").stream().mapToInt(Integer::intValue).max().orElseThrow();
        child.process().destroyForcibly(); // kill -9: no chance to save anything more
        assertThat(child.process().waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(out.resolve(FolderLock.FILE)).as("left by the killed run, but stale").exists();
        int saved = PretrainCheckpoint.savedStep(out).orElseThrow();
        assertThat(saved).as("the saved step covers every acknowledged evaluation").isGreaterThanOrEqualTo(acknowledged);
        // what a kill in the middle of writes leaves behind
        Files.writeString(out.resolve(".model.safetensors.12345.tmp"), "half a tensor");
        Files.createDirectories(out.resolve("resume.new"));
        Files.writeString(out.resolve("resume.new").resolve("model.safetensors"), "half");
        Files.writeString(out.resolve(PretrainLoop.LOG), "{\"type\":\"step\",\"step\":99999,\"lo", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);

        CliRunner.Result resumed = CliRunner.run(array(args(corpus, out, "--iters", Integer.toString(saved + 10),
                "--resume", "--json")));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("steps " + saved + " to " + (saved + 10));
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .doesNotContain(".model.safetensors.12345.tmp", "resume.new", "resume.old", FolderLock.FILE)
                    .noneMatch(n -> n.endsWith(".tmp"));
        }
        assertThat(logged(out, "step")).doesNotHaveDuplicates().allMatch(s -> s <= saved + 10);
        assertThat(logged(out, "eval")).doesNotHaveDuplicates().contains(acknowledged);
        assertThat(ChildKeel.crashLogs(dir)).isEmpty();
    }

    @Test
    void sigterm_while_onnx_runtime_embeds_exits_143_without_a_crash_or_a_partial_file(@TempDir Path dir)
            throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40_000; i++) {
            text.append("sentence number ").append(i).append(" is about the weather and the sea\n");
        }
        Path input = Files.writeString(dir.resolve("in.txt"), text);
        Path out = dir.resolve("vectors.jsonl");
        ChildKeel child = ChildKeel.start(dir, "embed", "--backend", "onnx", "--model", "builtin:all-minilm-l6-v2",
                "--input", input.toString(), "--out", out.toString());
        child.awaitWhileAlive(() -> {
            try {
                return child.out().contains("1,024 lines");
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofMinutes(3), "two chunks embedded");
        child.process().destroy(); // SIGTERM while batches run in ONNX Runtime
        assertThat(child.process().waitFor(2, TimeUnit.MINUTES)).isTrue();
        String err = child.err();
        assertThat(child.process().exitValue()).as(err).isEqualTo(143);
        assertThat(err).contains("stopped by SIGTERM after", "was not written");
        assertThat(out).doesNotExist();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
        assertThat(ChildKeel.crashLogs(dir)).isEmpty();
    }

    @Test
    void sigterm_during_adapt_saves_the_run_beside_the_output_and_the_same_command_finishes_it(@TempDir Path dir)
            throws Exception {
        System.setProperty("keel.cache", dir.resolve("cache").toString());
        Path base = AdaptClassifyTest.tinyBert(dir.resolve("base"));
        Path train = AdaptClassifyTest.sentiment(dir.resolve("train.tsv"), 96, 1);
        Path out = dir.resolve("adapted");
        List<String> args = List.of("adapt", "--backend", "djl", "--base", base.toString(), "--method", "lora",
                "--train", train.toString(), "--out", out.toString(), "--epochs", "100", "--batch", "16",
                "--lr", "1e-2", "--max-length", "24");
        ChildKeel child = ChildKeel.start(dir, array(args));
        child.awaitWhileAlive(() -> {
            try {
                return child.out().contains(" loss ");
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofMinutes(3), "training steps");
        child.process().destroy();
        assertThat(child.process().waitFor(2, TimeUnit.MINUTES)).isTrue();
        String err = child.err();
        assertThat(child.process().exitValue()).as(err).isEqualTo(143);
        Matcher m = Pattern.compile("stopped by SIGTERM at step (\\d+) of 600; the run is saved in (.+)\\. "
                + "Continue it with: keel adapt").matcher(err);
        assertThat(m.find()).as(err).isTrue();
        assertThat(out).as("no half-written model").doesNotExist();
        assertThat(dir.resolve(".adapted.partial").resolve("resume")).isDirectory();
        assertThat(ChildKeel.crashLogs(dir)).isEmpty();

        int stoppedAt = Integer.parseInt(m.group(1));
        List<String> shorter = new ArrayList<>(args);
        CliRunner.Result other = CliRunner.run(array(shorter.subList(0, shorter.size() - 2)));
        assertThat(other.exitCode()).as("other settings must not take the stopped run's place").isEqualTo(2);
        assertThat(other.err()).contains("stopped at step " + stoppedAt, "original settings");
        // the stopped run continues from where it was: finish it quickly by running it with the same settings
        CliRunner.Result resumed = CliRunner.run(array(args));
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(dev.keel.spi.checkpoint.ModelFolder.readMetadata(out).method()).isEqualTo("lora");
        assertThat(dir.resolve(".adapted.partial")).doesNotExist();
    }

    @Test
    void sigterm_to_keel_serve_still_drains_through_its_shutdown_hook_and_exits_143(@TempDir Path dir)
            throws Exception {
        Path model = AdaptClassifyTest.tinyGpt2(dir.resolve("gpt2"));
        ChildKeel child = ChildKeel.start(dir, "serve", "--backend", "djl", "--model", "tiny=" + model, "--port", "0",
                "--no-monitor");
        child.awaitWhileAlive(() -> {
            try {
                return child.out().contains("ready at");
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofMinutes(3), "the server to be ready");
        child.process().destroy();
        assertThat(child.process().waitFor(2, TimeUnit.MINUTES)).isTrue();
        String err = child.err();
        assertThat(child.process().exitValue()).as(err).isEqualTo(143);
        assertThat(err).contains("draining", "stopped");
        assertThat(ChildKeel.crashLogs(dir)).isEmpty();
    }
}
