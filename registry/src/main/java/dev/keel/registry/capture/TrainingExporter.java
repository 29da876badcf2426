package dev.keel.registry.capture;

import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.StoredFeedback;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.api.monitor.Feedback;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Turns feedback joined to captured calls into labelled examples: LABEL and CORRECTION name the label, a
 * thumbs-up confirms the served output, a thumbs-down gives the other label of a two-label classifier. One row
 * per distinct text; the latest feedback on a text (by the time it was given, then recording order) decides its
 * label, and texts whose feedback disagreed are counted as conflicts. Everything that cannot become a row is
 * counted by reason.
 */
final class TrainingExporter {
    static final String LABEL = "label";
    static final String CORRECTION = "correction";
    static final String THUMBS_UP = "thumbs_up";
    static final String THUMBS_DOWN = "thumbs_down";

    /** One piece of feedback that names a label for a text. */
    private record Candidate(String text, String label, String source, Instant givenAt, long seq, String inferenceId) { }

    /** A thumbs-down waiting for the model's labels. */
    private record Down(String text, String predicted, String model, StoredFeedback feedback) { }

    private static final Comparator<Candidate> LATEST = Comparator.comparing(Candidate::givenAt)
            .thenComparingLong(Candidate::seq);

    private final ExportSpec spec;
    private final Path out;
    private final boolean tsv;
    private final String operation;
    private final Map<String, List<Candidate>> byText = new LinkedHashMap<>();
    private final Map<String, Long> skipped = new TreeMap<>();
    private final Map<String, Set<String>> labelsByModel = new HashMap<>();
    private final List<Down> downs = new ArrayList<>();
    private String sha256;
    private long rows;
    private final Map<String, Long> sources = new LinkedHashMap<>();
    private final Map<String, Long> labels = new TreeMap<>();
    private long duplicates;
    private long conflicts;

    TrainingExporter(ExportSpec spec, Path out) {
        this.spec = spec;
        this.out = out;
        this.tsv = spec.format().equals("tsv");
        this.operation = spec.task().equals(ExportSpec.CLASSIFY) ? "classify" : "generate";
        for (String s : List.of(LABEL, CORRECTION, THUMBS_UP, THUMBS_DOWN)) {
            sources.put(s, 0L);
        }
    }

    /** Feedback that says what the right output was (or whether the served one was right). */
    static boolean labelling(Feedback.Kind kind) {
        return kind == Feedback.Kind.LABEL || kind == Feedback.Kind.CORRECTION || kind == Feedback.Kind.THUMBS_UP
                || kind == Feedback.Kind.THUMBS_DOWN;
    }

    void offer(StoredFeedback f, CapturedCall call) {
        Feedback.Kind kind = f.feedback().kind();
        boolean thumbs = kind == Feedback.Kind.THUMBS_UP || kind == Feedback.Kind.THUMBS_DOWN;
        if (!labelling(kind)) {
            skip("not_labelling");
            return;
        }
        if (thumbs && !spec.thumbs()) {
            skip("thumbs_excluded");
            return;
        }
        if (call == null || call.input(f.item()) == null) {
            skip("unmatched");
            return;
        }
        if (!operation.equals(call.operation())) {
            skip("other_operation");
            return;
        }
        if (call.failed()) {
            skip("failed_call");
            return;
        }
        String text = tsv ? oneLine(call.input(f.item())) : call.input(f.item());
        if (text.isBlank()) {
            skip("empty_text");
            return;
        }
        boolean classify = operation.equals("classify");
        String modelKey = String.valueOf(call.model());
        if (classify) {
            labelsByModel.computeIfAbsent(modelKey, k -> new TreeSet<>()).addAll(call.outputs());
        }
        String predicted = call.output(f.item());
        String label;
        switch (kind) {
            case LABEL, CORRECTION -> {
                label = classify ? f.feedback().value().trim() : f.feedback().value();
                if (classify) {
                    labelsByModel.get(modelKey).add(label);
                }
            }
            case THUMBS_UP -> label = predicted;
            default -> {
                if (!classify) {
                    skip("not_binary");
                    return;
                }
                if (predicted == null) {
                    skip("no_prediction");
                    return;
                }
                downs.add(new Down(text, predicted, call.model(), f));
                return;
            }
        }
        if (label == null) {
            skip("no_prediction");
            return;
        }
        add(text, label, kind, f);
    }

    private void add(String text, String label, Feedback.Kind kind, StoredFeedback f) {
        String l = tsv ? oneLine(label) : label;
        if (l.isBlank()) {
            skip("empty_label");
            return;
        }
        byText.computeIfAbsent(text, k -> new ArrayList<>()).add(new Candidate(text, l,
                kind.name().toLowerCase(Locale.ROOT), f.feedback().timestamp(), f.sequence(), f.feedback().inferenceId()));
    }

    /**
     * Gives each thumbs-down the other label, when the classifier has exactly two: the spec's labels, else those
     * the log has seen for the model (its predictions and the labels users gave).
     */
    void resolveThumbsDown(Function<String, Set<String>> recentLabels) {
        Map<String, Set<String>> known = new HashMap<>();
        for (Down d : downs) {
            Set<String> ls = spec.labels().isEmpty()
                    ? known.computeIfAbsent(String.valueOf(d.model()), m -> {
                        Set<String> all = new TreeSet<>(labelsByModel.getOrDefault(m, Set.of()));
                        all.addAll(recentLabels.apply(d.model()));
                        return all;
                    })
                    : new LinkedHashSet<>(spec.labels());
            if (ls.size() != 2 || !ls.contains(d.predicted())) {
                skip("not_binary");
                continue;
            }
            String other = ls.stream().filter(l -> !l.equals(d.predicted())).findFirst().orElseThrow();
            add(d.text(), other, Feedback.Kind.THUMBS_DOWN, d.feedback());
        }
        downs.clear();
    }

    /** Resolves duplicates and writes the labelled file atomically. */
    void writeFile() {
        List<Candidate> winners = new ArrayList<>(byText.size());
        for (List<Candidate> group : byText.values()) {
            Candidate latest = group.stream().max(LATEST).orElseThrow();
            winners.add(latest);
            duplicates += group.size() - 1;
            if (group.stream().map(Candidate::label).distinct().count() > 1) {
                conflicts++;
            }
        }
        winners.sort(LATEST);
        StringBuilder sb = new StringBuilder(winners.size() * 80);
        for (Candidate c : winners) {
            if (tsv) {
                sb.append(c.text()).append('\t').append(c.label()).append('\n');
            } else {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("text", c.text());
                row.put("label", c.label());
                row.put("feedback", c.source());
                row.put("inference_id", c.inferenceId());
                row.put("given_at", c.givenAt().toString());
                sb.append(Json.compact(row)).append('\n');
            }
            sources.merge(c.source(), 1L, Long::sum);
            labels.merge(c.label(), 1L, Long::sum);
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        rows = winners.size();
        sha256 = sha256(bytes);
        AtomicFiles.writeString(out, sb.toString());
    }

    /** Writes {@code OUT.manifest.json} and returns what the export holds. */
    TrainingExport writeManifest(long sequence, Instant at) {
        TrainingExport e = new TrainingExport(out, manifestPath(out), spec.format(), spec.task(), rows, sha256,
                sources, labels, duplicates, conflicts, skipped, spec.filter(), sequence, at);
        AtomicFiles.writeString(e.manifest(), Json.pretty(manifest(e)) + "\n");
        return e;
    }

    static Path manifestPath(Path file) {
        return file.resolveSibling(file.getFileName() + ".manifest.json");
    }

    private void skip(String reason) {
        skipped.merge(reason, 1L, Long::sum);
    }

    /** TSV holds one example per line: tabs and line breaks inside a text become spaces. */
    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ').replace('\t', ' ');
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    static String manifestJson(TrainingExport e) {
        return Json.compact(manifest(e));
    }

    /** The manifest's JSON fields (snake case, as the CLI prints them). */
    static Map<String, Object> manifest(TrainingExport e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", e.file().toString());
        m.put("format", e.format());
        m.put("task", e.task());
        m.put("rows", e.rows());
        m.put("sha256", e.sha256());
        m.put("sources", e.sources());
        m.put("labels", e.labels());
        m.put("duplicates", e.duplicates());
        m.put("conflicts", e.conflicts());
        m.put("skipped", e.skipped());
        Map<String, Object> f = new LinkedHashMap<>();
        CaptureFilter filter = e.filter();
        f.put("model", filter.model());
        f.put("versions", List.copyOf(filter.versions()));
        f.put("operation", filter.operation());
        f.put("since", filter.since() == null ? null : filter.since().toString());
        f.put("until", filter.until() == null ? null : filter.until().toString());
        f.put("slices", filter.slices());
        m.put("filter", f);
        m.put("sequence", e.sequence());
        m.put("at", e.at().toString());
        return m;
    }

    @SuppressWarnings("unchecked")
    static TrainingExport fromManifest(String json) {
        Map<String, Object> m = Json.parseObject(json, "an export manifest");
        Map<String, Object> f = (Map<String, Object>) m.get("filter");
        CaptureFilter filter = new CaptureFilter((String) f.get("model"),
                new LinkedHashSet<>((List<String>) f.get("versions")), (String) f.get("operation"),
                f.get("since") == null ? null : Instant.parse((String) f.get("since")),
                f.get("until") == null ? null : Instant.parse((String) f.get("until")),
                (Map<String, String>) f.get("slices"));
        Path file = Path.of((String) m.get("file"));
        return new TrainingExport(file, manifestPath(file), (String) m.get("format"), (String) m.get("task"),
                number(m.get("rows")), (String) m.get("sha256"), counts(m.get("sources")), counts(m.get("labels")),
                number(m.get("duplicates")), number(m.get("conflicts")), counts(m.get("skipped")), filter,
                number(m.get("sequence")), Instant.parse((String) m.get("at")));
    }

    private static long number(Object o) {
        return ((Number) o).longValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Long> counts(Object o) {
        Map<String, Long> out = new LinkedHashMap<>();
        ((Map<String, Object>) o).forEach((k, v) -> out.put(k, number(v)));
        return out;
    }
}
