package dev.keel.cli;

import dev.keel.api.ModelRef;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.BertConfig;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel classify}: predicts labels with an adapted model on the chosen backend (a head folder runs
 * its Java head over that backend's embeddings). When every input line carries a label, also reports
 * accuracy, macro-F1, calibration error and the confusion matrix.
 */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Predict labels with an adapted classifier; scores them when the input is labelled.")
public final class ClassifyCommand implements Callable<Integer> {
    private static final int CHUNK = 256;

    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR|registry:NAME@ALIAS",
            description = "a folder written by keel adapt --task classify, or a registry reference")
    String modelArg;

    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "one text per line, or labelled TSV/CSV/JSONL")
    Path input;

    @Option(names = "--out", paramLabel = "FILE.jsonl", description = "write one prediction per line")
    Path out;

    @Option(names = "--spark", paramLabel = "MASTER_URL", description = SparkVerbs.OPTION_HELP)
    String spark;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        if (out != null && Files.isDirectory(out)) {
            throw new InvalidInputException("--out " + out + " is a folder; classify writes one JSON-lines file: give "
                    + "a file path such as predictions.jsonl");
        }
        model = common.modelFolder(modelArg);
        if (spark != null) {
            return SparkVerbs.classify(this, console); // reads the input with Spark, on the executors
        }
        List<LabelledExample> examples = LabelledFiles.read(input);
        int firstLabelled = 0;
        int firstUnlabelled = 0;
        for (int i = examples.size() - 1; i >= 0; i--) {
            if (examples.get(i).hasLabel()) {
                firstLabelled = i + 1;
            } else {
                firstUnlabelled = i + 1;
            }
        }
        requireConsistentLabels(firstLabelled, firstUnlabelled);
        boolean labelled = firstLabelled > 0;
        KeelRuntime runtime = common.runtime();
        List<String> texts = examples.stream().map(LabelledExample::text).toList();
        List<Prediction> predictions = new ArrayList<>(texts.size());
        String backend;
        Labels labels;
        long t0;
        try (InferenceSession session = runtime.open(ModelRef.of(model), SessionOptions.builder().device(common.device())
                .build())) {
            backend = session.info().backend();
            if (session instanceof dev.keel.adapters.HeadSession head) {
                labels = head.labels(); // a head over a gpt2 base: the base's config names no labels
            } else if (session.info().config() instanceof BertConfig b && !b.labels().isEmpty()) {
                labels = Labels.of(b.labels());
            } else {
                throw new InvalidInputException(model + " is not a classifier; adapt it with keel adapt --task classify");
            }
            t0 = System.nanoTime();
            int[] gold = labelled ? dev.keel.adapters.ClassificationData.of(examples, labels, input.toString()).labels() : null;
            StopSignals.cooperate();
            for (int start = 0; start < texts.size(); start += CHUNK) {
                StopSignals.checkpoint("after " + start + " of " + texts.size() + " texts; nothing was written");
                predictions.addAll(session.classify(texts.subList(start, Math.min(texts.size(), start + CHUNK))).predictions());
                console.progress(String.format("classified %d/%d on %s", predictions.size(), texts.size(), backend));
            }
            console.endProgress();
            double secs = (System.nanoTime() - t0) / 1e9;
            report(console, examples, labelled, predictions, labels, gold, secs, backend);
        }
        return 0;
    }

    /**
     * As adapt refuses it: a file that labels some examples and not others is a mistake, not a choice. Takes the
     * numbers (from 1; 0 for none) of the first labelled and the first unlabelled example.
     */
    void requireConsistentLabels(long firstLabelled, long firstUnlabelled) {
        if (firstLabelled > 0 && firstUnlabelled > 0) {
            boolean labelled = firstLabelled == 1;
            throw new InvalidInputException("input " + input + " labels example " + (labelled ? 1 : firstLabelled)
                    + " but not example " + (labelled ? firstUnlabelled : 1) + "; label every line to score the model, "
                    + "or none to only predict");
        }
    }

    /** Writes --out and prints the result (metrics when labelled). */
    private void report(Console console, List<LabelledExample> examples, boolean labelled, List<Prediction> predictions,
            Labels labels, int[] gold, double secs, String backend) {
        List<String> texts = examples.stream().map(LabelledExample::text).toList();
        if (out != null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < texts.size(); i++) {
                sb.append(predictionLine(texts.get(i), predictions.get(i), labels, labelled ? gold[i] : -1)).append('\n');
            }
            AtomicFiles.writeString(out, sb.toString());
        }
        ClassificationMetrics m = null;
        if (labelled) {
            m = ClassificationMetrics.of(gold, predictions.stream().map(Prediction::probabilities).toArray(double[][]::new));
        }
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < Math.min(texts.size(), SHOWN); i++) {
            shown.add(shownLine(texts.get(i), predictions.get(i)));
        }
        result(console, texts.size(), m, labels, shown, secs, backend);
    }

    /** Predictions an unlabelled run without --out prints. */
    static final int SHOWN = 20;

    /** One line of --out (without its newline); {@code gold} is the gold class, or -1 when unlabelled. */
    static String predictionLine(String text, Prediction p, Labels labels, int gold) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("text", text);
        row.put("label", p.label());
        row.put("confidence", p.confidence());
        Map<String, Double> probs = new LinkedHashMap<>();
        for (int k = 0; k < labels.size(); k++) {
            probs.put(labels.name(k), p.probability(k));
        }
        row.put("probabilities", probs);
        if (gold >= 0) {
            row.put("gold", labels.name(gold)); // in the model's names, as "label" is
        }
        return Json.compact(row);
    }

    /** How an unlabelled run without --out shows one prediction. */
    static String shownLine(String text, Prediction p) {
        return String.format("%-10s %.3f  %s", p.label(), p.confidence(), text);
    }

    /**
     * Prints the result, the same for a local and a Spark run: the metrics (null when unlabelled) with the confusion
     * table, or the first predictions ({@code shown}) when unlabelled and nothing was written.
     */
    void result(Console console, int count, ClassificationMetrics m, Labels labels, List<String> shown, double secs,
            String backend) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("count", count);
        if (m != null) {
            console.say(m.confusionTable(labels));
            json.put("accuracy", m.accuracy());
            json.put("macro_f1", m.macroF1());
            json.put("ece", m.expectedCalibrationError());
        } else if (out == null) {
            shown.forEach(console::say);
        }
        json.put("sentences_per_s", count / Math.max(secs, 1e-9));
        json.put("backend", backend);
        if (out != null) {
            json.put("out", out.toString());
        }
        console.result(json);
    }
}
