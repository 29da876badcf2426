package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.infer.InferenceSession;
import dev.keel.monitors.drift.DriftMethod;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.monitors.drift.EmbeddingDrift;
import dev.keel.monitors.drift.FeatureDrift;
import dev.keel.monitors.drift.TextDrift;
import dev.keel.monitors.export.MonitorReport;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Path;
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
 * {@code keel drift}: compares a current sample of texts with a reference sample. Without a model it tests
 * model-free text descriptors (and the label mix when both files are labelled), each with the test Evidently
 * would choose; with {@code --model} it also embeds both samples and runs a domain classifier and MMD.
 */
@Command(name = "drift", mixinStandardHelpOptions = true,
        description = {"Compare a current sample of texts with a reference sample.",
            "Files: plain lines, TSV text<TAB>label, CSV with text,label header, or JSONL.",
            "The samples drift when at least --drift-share of the features drift, or when --model is given and "
                    + "the domain classifier's AUC passes its threshold."})
public final class DriftCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--reference", required = true, paramLabel = "FILE", description = "the reference sample (e.g. training data)")
    Path reference;

    @Option(names = "--current", required = true, paramLabel = "FILE", description = "the sample to check")
    Path current;

    @Option(names = "--model", paramLabel = "DIR|builtin:NAME",
            description = "an encoder for embedding drift, e.g. builtin:all-minilm-l6-v2")
    String model;

    @Option(names = "--report", paramLabel = "FILE.html", description = "write a self-contained HTML report")
    Path report;

    @Option(names = "--method", defaultValue = "auto", paramLabel = "NAME",
            description = "auto (by type and size, as Evidently), ks, chisquare, z, wasserstein, jensenshannon or psi "
                    + "(default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--threshold", paramLabel = "X",
            description = "the limit for --method (a p-value for tests, a distance otherwise); default: the method's own")
    Double threshold;

    @Option(names = "--drift-share", defaultValue = "0.5", paramLabel = "X",
            description = "share of drifted features that makes the samples drift (default: ${DEFAULT-VALUE})")
    double driftShare;

    @Option(names = "--max-embed", defaultValue = "2000", paramLabel = "N",
            description = "texts per side to embed with --model (default: ${DEFAULT-VALUE})")
    int maxEmbed;

    @Option(names = "--spark", paramLabel = "MASTER_URL", description = SparkVerbs.OPTION_HELP)
    String spark;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        DriftMethod m = DriftMethod.parse(method);
        if (threshold != null && m == DriftMethod.AUTO) {
            throw new InvalidInputException("--threshold needs --method: with auto each feature is judged by its own "
                    + "test's threshold; add e.g. --method psi --threshold 0.2");
        }
        if (maxEmbed < 2) {
            throw new InvalidInputException("--max-embed must be at least 2, got " + maxEmbed);
        }
        double limit = threshold == null ? Double.NaN : threshold;
        Samples samples = spark != null ? SparkVerbs.drift(this, m, limit, console) : local(console, m, limit);
        DriftReport drift = samples.report();
        List<Map<String, Object>> tests = new ArrayList<>();
        for (FeatureDrift t : drift.tests()) {
            tests.add(t.toMap());
        }
        boolean drifted = drift.drift();
        if (model != null) {
            Map<String, Object> embedding = embeddingDrift(samples.referenceVectors(), samples.currentVectors());
            tests.addAll(castList(embedding.get("tests")));
            drifted |= Boolean.TRUE.equals(embedding.get("drifted"));
        }
        // one row per feature and test, as the JSON's tests and the report's table have them
        console.say(String.format(Locale.ROOT, "  %-18s %-22s %10s %10s %10s  %s", "feature", "test", "statistic",
                "p-value", "threshold", "verdict"));
        for (Map<String, Object> t : tests) {
            console.say(String.format(Locale.ROOT, "  %-18s %-22s %10.4f %10s %10.4g  %s", t.get("feature"), t.get("test"),
                    (Double) t.get("statistic"), t.containsKey("p_value") ? String.format(Locale.ROOT, "%.4g",
                            (Double) t.get("p_value")) : "-", (Double) t.get("threshold"),
                    Boolean.TRUE.equals(t.get("drifted")) ? "DRIFT" : "ok"));
        }
        Map<String, Object> section = drift.toMap();
        section.put("drift", drifted);
        section.put("tests", tests);
        String summary = MonitorReport.driftSummary(section);
        console.say(summary);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("drift", drifted);
        result.put("tests", tests);
        result.put("share_drifted", drift.shareDrifted());
        result.put("features_drifted", drift.driftedCount());
        result.put("features", drift.tests().size());
        result.put("summary", summary);
        result.put("reference_rows", samples.referenceRows());
        result.put("current_rows", samples.currentRows());
        if (report != null) {
            Map<String, Object> page = MonitorReport.of(List.of(), drift);
            page.put("drift", section);
            AtomicFiles.writeString(report, MonitorReport.html(page, "Drift: " + current.getFileName() + " against "
                    + reference.getFileName()));
            result.put("report", report.toString());
            if (console.json()) {
                console.say("report: " + report); // the human result below names it otherwise
            }
        }
        if (!console.json()) {
            result.remove("tests"); // already printed as a table above, and the summary under it
            result.remove("summary");
        }
        console.result(result);
        return 0;
    }

    /**
     * What both samples gave: the text tests' report, the row counts and, with --model, the first --max-embed
     * texts' vectors of each side (null without it).
     */
    record Samples(DriftReport report, int referenceRows, int currentRows, float[][] referenceVectors,
            float[][] currentVectors) { }

    /** Both files read, tested and embedded in this JVM. */
    private Samples local(Console console, DriftMethod m, double limit) {
        List<LabelledExample> ref = LabelledFiles.read(reference);
        List<LabelledExample> cur = LabelledFiles.read(current);
        saySizes(console, ref.size(), cur.size());
        DriftReport drift = TextDrift.compareExamples(ref, cur, m, limit, driftShare);
        float[][] va = null;
        float[][] vb = null;
        if (model != null) {
            try (InferenceSession session = common.runtime().open(common.model(model))) {
                va = embed(console, session, ref.stream().limit(maxEmbed).map(LabelledExample::text).toList(), "reference");
                vb = embed(console, session, cur.stream().limit(maxEmbed).map(LabelledExample::text).toList(), "current");
            }
        }
        return new Samples(drift, ref.size(), cur.size(), va, vb);
    }

    void saySizes(Console console, long referenceRows, long currentRows) {
        console.say(String.format(Locale.ROOT, "reference %s: %d texts; current %s: %d texts", reference, referenceRows,
                current, currentRows));
    }

    private Map<String, Object> embeddingDrift(float[][] va, float[][] vb) {
        EmbeddingDrift.DomainClassifierResult auc = EmbeddingDrift.domainClassifier(va, vb, common.seed);
        EmbeddingDrift.MmdResult mmd = EmbeddingDrift.mmd(va, vb, 100, 500, common.seed);
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> aucRow = new LinkedHashMap<>(auc.toMap());
        aucRow.put("reference_rows", va.length);
        aucRow.put("current_rows", vb.length);
        Map<String, Object> mmdRow = new LinkedHashMap<>(mmd.toMap());
        mmdRow.put("reference_rows", va.length);
        mmdRow.put("current_rows", vb.length);
        out.put("tests", List.of(aucRow, mmdRow));
        out.put("drifted", auc.drifted());
        return out;
    }

    private static float[][] embed(Console console, InferenceSession session, List<String> texts, String what) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i += 32) {
            float[][] v = session.embed(texts.subList(i, Math.min(texts.size(), i + 32))).vectors();
            out.addAll(List.of(v));
            console.progress(String.format(Locale.ROOT, "embedding %s: %d/%d", what, out.size(), texts.size()));
        }
        console.endProgress();
        return out.toArray(float[][]::new);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> castList(Object o) {
        return (List<Map<String, Object>>) o;
    }
}
