package dev.keel.cli;

import dev.keel.api.KeelException;
import dev.keel.spi.checkpoint.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel demo}: the main job. Runs the lifecycle end to end on data bundled in the jar, through the same
 * verbs a user scripts: pre-train a small GPT-2 on one engine, evaluate it on every engine, sample it, adapt
 * the real pretrained all-MiniLM-L6-v2 into a sentiment classifier, classify held-out sentences, and check
 * drift between what it was trained on and a shifted sample.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole lifecycle end to end on bundled data (a few minutes on 2 cores).",
            "Pre-train -> evaluate on every engine -> generate -> adapt MiniLM -> classify -> drift report."})
public final class DemoCommand implements Callable<Integer> {
    private static final String DATA = "/dev/keel/cli/demo/";

    @Mixin
    CommonOptions common;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR",
            description = "where the models, reports and data go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--iters", defaultValue = "1000", description = "pre-training steps (default: ${DEFAULT-VALUE})")
    int iters;

    @Override
    public Integer call() throws IOException {
        Console console = Console.of(common);
        Path data = out.resolve("data");
        Files.createDirectories(data);
        Path corpus = extract("shakespeare-head.txt", data);
        Path train = extract("sentiment-train.tsv", data);
        Path dev = extract("sentiment-dev.tsv", data);
        Path shifted = data.resolve("shakespeare-lines.txt");
        List<String> lines = Files.readAllLines(corpus).stream().filter(l -> l.length() > 20).limit(200).toList();
        Files.write(shifted, lines);
        Path gpt2 = out.resolve("gpt2");
        Path classifier = out.resolve("sentiment");
        String seed = Long.toString(common.seed);
        Map<String, Object> summary = new LinkedHashMap<>();

        console.say("== 1/6 pre-train a character-level GPT-2 on " + corpus.getFileName() + " (djl)");
        Map<String, Object> pre = verb("pretrain", "--backend", "djl", "--corpus", corpus, "--out", gpt2,
                "--layers", "4", "--heads", "4", "--embd", "128", "--block", "64", "--batch", "12", "--iters", iters,
                "--warmup", Math.min(100, iters / 10), "--eval-interval", Math.max(10, iters / 4), "--eval-iters", "10", "--seed", seed);
        summary.put("pretrain_val_loss", pre.get("val_loss"));
        summary.put("pretrain_ms_per_iter", pre.get("ms_per_iter"));

        console.say("== 2/6 the same folder evaluated on every engine (portable checkpoint)");
        for (String backend : List.of("djl", "onnx", "tf")) {
            Map<String, Object> ev = verb("evaluate", "--backend", backend, "--model", gpt2, "--corpus", corpus);
            summary.put("val_loss_" + backend, ev.get("loss"));
            console.say(String.format("   %-5s val loss %.6f over %s tokens", backend, (Double) ev.get("loss"),
                    ev.get("tokens")));
        }

        console.say("== 3/6 sample it");
        Map<String, Object> gen = verb("generate", "--model", gpt2, "--prompt", "ROMEO:", "--max-tokens", "160",
                "--temperature", "0.8", "--top-k", "20", "--seed", seed);
        console.say("ROMEO:" + gen.get("text"));
        summary.put("sample", gen.get("text"));
        summary.put("ms_per_token", gen.get("ms_per_token"));

        console.say("== 4/6 adapt the pretrained all-MiniLM-L6-v2 into a sentiment classifier (head on frozen features)");
        Map<String, Object> ad = verb("adapt", "--base", "builtin:all-minilm-l6-v2", "--method", "head",
                "--task", "classify", "--train", train, "--dev", dev, "--out", classifier, "--seed", seed);
        summary.put("dev_accuracy", ad.get("dev_accuracy"));
        summary.put("trainable_params", ad.get("trainable_params"));

        console.say("== 5/6 classify held-out sentences");
        Map<String, Object> cl = verb("classify", "--model", classifier, "--input", dev, "--out",
                out.resolve("predictions.jsonl"));
        summary.put("classify_accuracy", cl.get("accuracy"));
        summary.put("classify_macro_f1", cl.get("macro_f1"));

        console.say("== 6/6 drift: film reviews (reference) against Shakespeare lines (current)");
        Map<String, Object> dr = verb("drift", "--reference", dev, "--current", shifted, "--report",
                out.resolve("drift.html"));
        summary.put("drift", dr.get("drift"));
        summary.put("drift_report", out.resolve("drift.html").toString());
        summary.put("out", out.toString());

        console.say("");
        console.say(String.format("pre-trained val loss %.4f (djl %.6f | onnx %.6f | tf %.6f); sentiment dev accuracy "
                + "%.3f; drift detected: %s; everything is in %s", (Double) pre.get("val_loss"),
                (Double) summary.get("val_loss_djl"), (Double) summary.get("val_loss_onnx"),
                (Double) summary.get("val_loss_tf"), (Double) cl.get("accuracy"), dr.get("drift"), out));
        if (common.json) {
            console.result(summary);
        }
        return 0;
    }

    private static Path extract(String name, Path dir) throws IOException {
        Path target = dir.resolve(name);
        try (InputStream in = DemoCommand.class.getResourceAsStream(DATA + name)) {
            if (in == null) {
                throw new KeelException("bundled demo file " + name + " is missing from the keel-cli jar; rebuild it");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /**
     * Runs one verb with {@code --json}: its human output goes to stderr as usual, its JSON result comes back.
     * A failing step stops the demo with that verb's exit status.
     */
    private static Map<String, Object> verb(String name, Object... args) {
        StopSignals.checkpoint("before keel " + name + "; the steps before it are in place");
        List<String> argv = new ArrayList<>();
        argv.add(name);
        for (Object a : args) {
            argv.add(a.toString());
        }
        argv.add("--json");
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = KeelCli.run(argv.toArray(String[]::new));
        } finally {
            System.setOut(stdout);
        }
        String text = captured.toString(StandardCharsets.UTF_8).strip();
        if (code != 0 || text.isEmpty()) {
            throw new DemoStepFailed(name, code);
        }
        String[] outLines = text.split("\n");
        return Json.parseObject(outLines[outLines.length - 1], "the JSON of keel " + name);
    }

    /** A step failed; its own message is already on stderr. */
    static final class DemoStepFailed extends KeelException {
        final int exitCode;

        DemoStepFailed(String verb, int exitCode) {
            super("the demo stopped: 'keel " + verb + "' failed (exit " + exitCode + ", message above)");
            this.exitCode = exitCode;
        }
    }
}
