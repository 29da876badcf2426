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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel demo}: the main job. Runs the lifecycle end to end on data bundled in the jar, through the same
 * verbs a user scripts: pre-train a small GPT-2 on one engine, evaluate it on every engine, sample it, adapt
 * the real pretrained all-MiniLM-L6-v2 into a sentiment classifier, classify held-out sentences, check
 * drift between what it was trained on and a shifted sample, and iterate ({@link DemoIteration}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole lifecycle end to end on bundled data (a few minutes on 2 cores).",
            "Pre-train -> evaluate on every engine -> generate -> adapt MiniLM -> classify -> drift report ->",
            "register, serve, shift, alert, retrain, gate, promote, refuse (iteration.html)."})
public final class DemoCommand implements Callable<Integer> {
    private static final String DATA = "/dev/keel/cli/demo/";
    /** Batches in the pre-trainer's loss estimates. */
    private static final int EVAL_ITERS = 10;

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

        console.say("== 1/7 pre-train a character-level GPT-2 on " + corpus.getFileName() + " (djl)");
        Map<String, Object> pre = verb("pretrain", "--backend", "djl", "--corpus", corpus, "--out", gpt2,
                "--layers", "4", "--heads", "4", "--embd", "128", "--block", "64", "--batch", "12", "--iters", iters,
                "--warmup", Math.min(100, iters / 10), "--eval-interval", Math.max(10, iters / 4), "--eval-iters", EVAL_ITERS,
                "--seed", seed);
        summary.put("pretrain_val_loss", pre.get("val_loss"));
        summary.put("pretrain_ms_per_iter", pre.get("ms_per_iter"));

        console.say("== 2/7 the same folder evaluated on every engine (portable checkpoint)");
        for (String backend : List.of("djl", "onnx", "tf")) {
            Map<String, Object> ev = verb("evaluate", "--backend", backend, "--model", gpt2, "--corpus", corpus);
            summary.put("val_loss_" + backend, ev.get("loss"));
            console.say(String.format("   %-5s val loss %.6f over %s tokens", backend, (Double) ev.get("loss"),
                    ev.get("tokens")));
        }

        console.say("== 3/7 sample it");
        Map<String, Object> gen = verb("generate", "--model", gpt2, "--prompt", "ROMEO:", "--max-tokens", "160",
                "--temperature", "0.8", "--top-k", "20", "--seed", seed);
        console.say("ROMEO:" + gen.get("text"));
        summary.put("sample", gen.get("text"));
        summary.put("ms_per_token", gen.get("ms_per_token"));

        console.say("== 4/7 adapt the pretrained all-MiniLM-L6-v2 into a sentiment classifier (head on frozen features)");
        Map<String, Object> ad = verb("adapt", "--base", "builtin:all-minilm-l6-v2", "--method", "head",
                "--task", "classify", "--train", train, "--dev", dev, "--out", classifier, "--seed", seed,
                "--label-names", "negative,positive");
        summary.put("dev_accuracy", ad.get("dev_accuracy"));
        summary.put("trainable_params", ad.get("trainable_params"));

        console.say("== 5/7 classify held-out sentences");
        Map<String, Object> cl = verb("classify", "--model", classifier, "--input", dev, "--out",
                out.resolve("predictions.jsonl"));
        summary.put("classify_accuracy", cl.get("accuracy"));
        summary.put("classify_macro_f1", cl.get("macro_f1"));

        console.say("== 6/7 drift: film reviews (reference) against Shakespeare lines (current)");
        Map<String, Object> dr = verb("drift", "--reference", dev, "--current", shifted, "--report",
                out.resolve("drift.html"));
        summary.put("drift", dr.get("drift"));
        summary.put("drift_report", out.resolve("drift.html").toString());

        console.say("== 7/7 iterate: register the classifier as champion, serve it from the registry, shift the stream, "
                + "let the alert start a round, promote a challenger that passes its gates, refuse one that forgets");
        summary.putAll(DemoIteration.run(out, classifier, train, dev, console, common.seed));
        summary.put("out", out.toString());

        summary.put("drift_summary", dr.get("summary"));
        console.say("");
        for (String line : summaryLines(pre, summary, gen, ad, cl, dr, iters)) {
            console.say(line);
        }
        console.say(String.format("iteration: the %s alert started a round; version %s %s (review accuracy %.3f -> "
                + "%.3f, film %.3f -> %.3f); the narrow no-replay challenger was %s; history in %s",
                summary.get("round_trigger"), summary.get("round_challenger_version"),
                Boolean.TRUE.equals(summary.get("round_promoted")) ? "was promoted" : "was NOT promoted",
                (Double) summary.get("heldout_accuracy_before"), (Double) summary.get("heldout_accuracy_after"),
                (Double) summary.get("film_accuracy_before"), (Double) summary.get("film_accuracy_after"),
                summary.get("second_round_decision"), summary.get("iteration_report")));
        if (common.json) {
            console.result(summary);
        }
        return 0;
    }

    /** The closing summary: each figure with what it is, so 1.83 and 1.89 are not taken for a mismatch. */
    private List<String> summaryLines(Map<String, Object> pre, Map<String, Object> s, Map<String, Object> gen,
            Map<String, Object> ad, Map<String, Object> cl, Map<String, Object> dr, int steps) {
        List<String> lines = new ArrayList<>();
        lines.add("Summary");
        lines.add(String.format(Locale.ROOT, "  pre-training   %d steps at %.1f ms/step; val loss %.4f estimated at the last "
                + "step (mean of %d random val batches)", steps, (Double) pre.get("ms_per_iter"), (Double) pre.get("val_loss"),
                EVAL_ITERS));
        lines.add(String.format(Locale.ROOT, "  evaluation     val loss over the whole val split, same folder on every engine: "
                + "djl %.6f, onnx %.6f, tf %.6f", (Double) s.get("val_loss_djl"), (Double) s.get("val_loss_onnx"),
                (Double) s.get("val_loss_tf")));
        lines.add(String.format(Locale.ROOT, "  generation     %d tokens sampled at %.2f ms/token on %s",
                ((Number) gen.get("tokens")).intValue(),
                (Double) gen.get("ms_per_token"), gen.get("backend")));
        lines.add(String.format(Locale.ROOT, "  adaptation     MiniLM + a trained head (%,d parameters): dev accuracy %.3f "
                + "at the best epoch", ((Number) ad.get("trainable_params")).longValue(), (Double) ad.get("dev_accuracy")));
        lines.add(String.format(Locale.ROOT, "  classification the adapted model on the 200 dev sentences: accuracy %.3f, "
                + "macro-F1 %.3f (labels negative/positive)", (Double) cl.get("accuracy"), (Double) cl.get("macro_f1")));
        lines.add("  drift          " + dr.get("summary"));
        lines.add("  outputs        " + out + "/: gpt2/ and sentiment/ (model folders), predictions.jsonl, drift.html; "
                + "data/ holds the data it used, which the README's examples use");
        return lines;
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
