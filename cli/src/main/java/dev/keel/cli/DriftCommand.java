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
        List<LabelledExample> ref = LabelledFiles.read(reference);
        List<LabelledExample> cur = LabelledFiles.read(current);
        console.say(String.format(Locale.ROOT, "reference %s: %d texts; current %s: %d texts", reference, ref.size(),
                current, cur.size()));
        DriftReport drift = spark != null
                ? SparkVerbs.textDrift(this, ref, cur, m, threshold == null ? Double.NaN : threshold, console)
                : TextDrift.compareExamples(ref, cur, m, threshold == null ? Double.NaN : threshold, driftShare);
        List<Map<String, Object>> tests = new ArrayList<>();
        for (FeatureDrift t : drift.tests()) {
            tests.add(t.toMap());
            console.say(String.format(Locale.ROOT, "  %-18s %-13s statistic %9.4f  %s %8.4g  threshold %6.3g  %s",
                    t.feature(), t.method().id(), t.statistic(), t.method().isPValue() ? "p" : " ",
                    t.method().isPValue() ? t.pValue() : Double.NaN, t.threshold(), t.drifted() ? "DRIFT" : "ok"));
        }
        boolean drifted = drift.drift();
        Map<String, Object> embedding = null;
        if (model != null) {
            embedding = embeddingDrift(console, ref, cur);
            tests.addAll(castList(embedding.get("tests")));
            drifted |= Boolean.TRUE.equals(embedding.get("drifted"));
        }
        console.say(String.format(Locale.ROOT, "%d of %d features drifted (limit %.0f%%): %s", drift.driftedCount(),
                drift.tests().size(), driftShare * 100, drifted ? "DRIFT" : "no drift"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("drift", drifted);
        result.put("tests", tests);
        result.put("share_drifted", drift.shareDrifted());
        result.put("reference_rows", ref.size());
        result.put("current_rows", cur.size());
        if (report != null) {
            Map<String, Object> page = MonitorReport.of(List.of(), drift);
            @SuppressWarnings("unchecked")
            Map<String, Object> section = (Map<String, Object>) page.get("drift");
            section.put("drift", drifted);
            section.put("tests", tests);
            AtomicFiles.writeString(report, MonitorReport.html(page, "Drift: " + current.getFileName() + " against "
                    + reference.getFileName()));
            result.put("report", report.toString());
            console.say("report: " + report);
        }
        if (!console.json()) {
            result.remove("tests"); // already printed as a table above
        }
        console.result(result);
        return 0;
    }

    private Map<String, Object> embeddingDrift(Console console, List<LabelledExample> ref, List<LabelledExample> cur) {
        List<String> a = ref.stream().limit(maxEmbed).map(LabelledExample::text).toList();
        List<String> b = cur.stream().limit(maxEmbed).map(LabelledExample::text).toList();
        float[][] va;
        float[][] vb;
        if (spark != null) {
            va = SparkVerbs.embedForDrift(this, a);
            vb = SparkVerbs.embedForDrift(this, b);
        } else {
            try (InferenceSession session = common.runtime().open(common.model(model))) {
                va = embed(console, session, a, "reference");
                vb = embed(console, session, b, "current");
            }
        }
        EmbeddingDrift.DomainClassifierResult auc = EmbeddingDrift.domainClassifier(va, vb, common.seed);
        EmbeddingDrift.MmdResult mmd = EmbeddingDrift.mmd(va, vb, 100, 500, common.seed);
        console.say(String.format(Locale.ROOT, "  %-18s %-13s statistic %9.4f  threshold %6.3g  %s", "embedding",
                "domain_auc", auc.auc(), auc.threshold(), auc.drifted() ? "DRIFT" : "ok"));
        console.say(String.format(Locale.ROOT, "  %-18s %-13s statistic %9.4f  p %8.4g  threshold %6.3g  %s", "embedding",
                "mmd", mmd.mmd2(), mmd.pValue(), mmd.threshold(), mmd.drifted() ? "DRIFT" : "ok"));
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
