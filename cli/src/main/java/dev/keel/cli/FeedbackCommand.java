package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.FeedbackStats;
import dev.keel.api.iterate.StoredFeedback;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.api.monitor.Feedback;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.registry.capture.JdbcCaptureStore;
import dev.keel.registry.db.Database;
import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel feedback add|export|stats --store DB}: what users said about served calls, from the shell. The
 * store is the capture store a host or {@code keel serve --capture DB} writes (a folder, an SQLite file or a
 * JDBC URL). Every value is checked before the store is opened, so bad input exits 2 and writes nothing; only
 * {@code add} creates a store.
 */
@Command(name = "feedback", mixinStandardHelpOptions = true,
        description = "Feedback joined to captured calls: record it, export labelled training data, count it.",
        subcommands = {FeedbackCommand.Add.class, FeedbackCommand.Export.class, FeedbackCommand.Stats.class})
public final class FeedbackCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new InvalidInputException("keel feedback needs a verb: add, export or stats (keel feedback --help)");
    }

    /** The options every feedback verb takes. */
    /**
     * Opens the capture store at {@code store} for reading: never creates or migrates anything, so the location
     * must hold a capture store already.
     */
    static JdbcCaptureStore openExisting(String store) {
        String none = "there is no capture store at " + store + "; give the store a host or keel serve --capture "
                + "writes, or record feedback first (keel feedback add --store " + store + " ...)";
        if (!store.startsWith("jdbc:")) {
            Path p = Path.of(store);
            if (!Files.exists(p) || (Files.isDirectory(p) && !Files.exists(p.resolve(Database.SQLITE_FILE)))) {
                throw new InvalidInputException(none);
            }
        }
        try (Database db = Database.open(JdbcModelRegistry.databaseLocation(store))) {
            if (!db.tables().contains("keel_capture_schema_history")) {
                throw new InvalidInputException(none);
            }
        }
        return JdbcCaptureStore.open(store);
    }

    static final class Store {
        @Mixin
        CommonOptions common;

        @Option(names = "--store", required = true, paramLabel = "DB",
                description = "the capture store: a folder, an SQLite file (capture.db) or a JDBC URL "
                        + "(jdbc:postgresql://HOST:PORT/DB?user=U&password=P)")
        String store;

        JdbcCaptureStore open(boolean create) {
            return create ? JdbcCaptureStore.open(store) : openExisting(store);
        }

        Console console() {
            return Console.of(common);
        }
    }

    /** The options that select calls and feedback. */
    static final class Selection {
        @Option(names = "--model", paramLabel = "NAME", description = "only calls of this model (registry, folder or builtin name)")
        String model;

        // not --version: the standard -V/--version option would clash
        @Option(names = "--model-version", paramLabel = "V", description = "only calls served by this version (repeatable)")
        List<String> versions = new ArrayList<>();

        @Option(names = "--since", paramLabel = "TIME",
                description = "only feedback given at or after TIME: 2026-05-01T12:00:00Z, 2026-05-01, or an age such as 7d, 12h, 30m")
        String since;

        @Option(names = "--until", paramLabel = "TIME", description = "only feedback given before TIME (same forms)")
        String until;

        @Option(names = "--slice", paramLabel = "K=V",
                description = "only calls with this tag or value (backend, device, operation, predicted, or the host's tags; repeatable)")
        List<String> slices = new ArrayList<>();

        CaptureFilter filter(Instant now) {
            CaptureFilter f = CaptureFilter.all().model(model);
            for (String v : versions) {
                f = f.version(v);
            }
            f = f.since(since == null ? null : time(since, "--since", now)).until(until == null ? null : time(until, "--until", now));
            for (Map.Entry<String, String> e : RegistryCommand.pairs(slices, "--slice").entrySet()) {
                f = f.slice(e.getKey(), e.getValue());
            }
            return f;
        }

        Map<String, Object> json(CaptureFilter f) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", f.model());
            m.put("versions", List.copyOf(f.versions()));
            m.put("since", f.since() == null ? null : f.since().toString());
            m.put("until", f.until() == null ? null : f.until().toString());
            m.put("slices", f.slices());
            return m;
        }
    }

    /** An instant, a date (its start, UTC), or an age back from now ({@code 7d}, {@code 12h}, {@code 30m}, {@code 45s}). */
    static Instant time(String text, String option, Instant now) {
        String t = text.trim();
        try {
            if (t.matches("[0-9]+[dhms]")) {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                Duration d = switch (t.charAt(t.length() - 1)) {
                    case 'd' -> Duration.ofDays(n);
                    case 'h' -> Duration.ofHours(n);
                    case 'm' -> Duration.ofMinutes(n);
                    default -> Duration.ofSeconds(n);
                };
                return now.minus(d);
            }
            if (t.matches("[0-9]{4}-[0-9]{2}-[0-9]{2}")) {
                return LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return Instant.parse(t);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new InvalidInputException(option + " " + text + " is not a time; give 2026-05-01T12:00:00Z, "
                    + "2026-05-01 (UTC), or an age such as 7d, 12h, 30m", e);
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Record what a user said about a call (by its inference id), or a file of feedback.")
    static final class Add implements Callable<Integer> {
        @Mixin
        Store where;

        @Option(names = "--id", paramLabel = "ID", description = "the inference id the call returned (ID#k for the k-th text of a batch)")
        String id;

        @ArgGroup(exclusive = true)
        Kind kind;

        /** Exactly one kind of feedback per {@code add}. */
        static final class Kind {
            @Option(names = "--label", paramLabel = "LABEL", description = "the correct label")
            String label;

            @Option(names = "--thumbs", paramLabel = "up|down", description = "thumbs up or down on the answer")
            String thumbs;

            @Option(names = "--correction", paramLabel = "TEXT", description = "the corrected label or text")
            String correction;

            @Option(names = "--score", paramLabel = "X", description = "a numeric rating")
            Double score;

            @Option(names = "--retry", description = "the user asked again")
            boolean retry;
        }

        @Option(names = "--at", paramLabel = "TIME", description = "when the user said it (default: now; same forms as --since)")
        String at;

        @Option(names = "--file", paramLabel = "FILE.jsonl",
                description = "record every line of a JSONL file in one transaction: {\"id\": ..., \"kind\": \"label\"|\"thumbs_up\"|..., "
                        + "\"value\": ..., \"score\": ..., \"at\": ...}")
        Path file;

        @Override
        public Integer call() {
            Instant now = Instant.now();
            List<Feedback> feedback = file != null ? fromFile(now) : List.of(one(now));
            feedback.forEach(JdbcCaptureStore::validate); // before the store is opened (or created)
            Console console = where.console();
            try (JdbcCaptureStore store = where.open(true)) {
                List<StoredFeedback> stored = store.recordAll(feedback);
                long matched = stored.stream().filter(StoredFeedback::matched).count();
                console.say("recorded " + stored.size() + " feedback in " + store.location() + " (" + matched
                        + " joined to a captured call, " + (stored.size() - matched) + " kept unmatched)");
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("recorded", stored.size());
                json.put("matched", matched);
                json.put("unmatched", stored.size() - matched);
                json.put("sequences", stored.stream().map(StoredFeedback::sequence).toList());
                json.put("store", store.location());
                console.result(json);
            }
            return 0;
        }

        private Feedback one(Instant now) {
            if (id == null || id.isBlank()) {
                throw new InvalidInputException("keel feedback add needs --id ID (the inference id the call returned) "
                        + "or --file FILE.jsonl");
            }
            if (kind == null) {
                throw new InvalidInputException("keel feedback add --id " + id + " needs what the user said: --label L, "
                        + "--thumbs up|down, --correction TEXT, --score X or --retry");
            }
            Instant when = at == null ? now : time(at, "--at", now);
            if (kind.thumbs != null) {
                String t = kind.thumbs.trim().toLowerCase(Locale.ROOT);
                if (!t.equals("up") && !t.equals("down")) {
                    throw new InvalidInputException("--thumbs " + kind.thumbs + " is not up or down");
                }
                return new Feedback(id, t.equals("up") ? Feedback.Kind.THUMBS_UP : Feedback.Kind.THUMBS_DOWN, null,
                        Double.NaN, when);
            }
            if (kind.label != null) {
                return new Feedback(id, Feedback.Kind.LABEL, kind.label, Double.NaN, when);
            }
            if (kind.correction != null) {
                return new Feedback(id, Feedback.Kind.CORRECTION, kind.correction, Double.NaN, when);
            }
            if (kind.score != null) {
                return new Feedback(id, Feedback.Kind.SCORE, null, kind.score, when);
            }
            return new Feedback(id, Feedback.Kind.RETRY, null, Double.NaN, when);
        }

        private List<Feedback> fromFile(Instant now) {
            if (id != null || kind != null || at != null) {
                throw new InvalidInputException("--file takes each line's id, kind and time from the file; leave out "
                        + "--id, --label, --thumbs, --correction, --score, --retry and --at");
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read --file " + file + ": " + e.getMessage(), e);
            }
            List<Feedback> out = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) {
                    continue;
                }
                String where = file + " line " + (i + 1);
                Map<String, Object> o;
                try {
                    o = Json.parseObject(lines.get(i), where);
                } catch (RuntimeException e) {
                    throw new InvalidInputException(where + " is not a JSON object: " + e.getMessage(), e);
                }
                try {
                    Feedback.Kind k = Feedback.Kind.valueOf(String.valueOf(o.get("kind")).toUpperCase(Locale.ROOT));
                    double score = o.get("score") instanceof Number n ? n.doubleValue() : Double.NaN;
                    Object value = o.get("value");
                    out.add(new Feedback(o.get("id") == null ? null : String.valueOf(o.get("id")), k,
                            value == null ? null : String.valueOf(value), score,
                            o.get("at") == null ? now : time(String.valueOf(o.get("at")), where + " \"at\"", now)));
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(where + ": " + e.getMessage() + "; expected {\"id\": ..., \"kind\": "
                            + "\"label\"|\"correction\"|\"thumbs_up\"|\"thumbs_down\"|\"score\"|\"retry\", \"value\": ..., "
                            + "\"score\": ..., \"at\": ...}", e);
                }
            }
            if (out.isEmpty()) {
                throw new InvalidInputException("--file " + file + " holds no feedback; add one JSON object per line");
            }
            return out;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write labelled training data (TSV or JSONL, as keel adapt reads) from LABEL, CORRECTION "
                    + "and thumbs feedback; the latest feedback on a text wins.")
    static final class Export implements Callable<Integer> {
        @Mixin
        Store where;

        @Mixin
        Selection selection;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "FILE.tsv or FILE.jsonl (a manifest FILE.manifest.json is written beside it)")
        Path out;

        @Option(names = "--task", defaultValue = "classify", paramLabel = "classify|prompt-response",
                description = "classification rows (text, label) or prompt/response rows from generation calls (default: ${DEFAULT-VALUE})")
        String task;

        @Option(names = "--labels", split = ",", paramLabel = "A,B",
                description = "the classifier's labels, when the log has not seen both (a thumbs-down needs exactly two)")
        List<String> labels = new ArrayList<>();

        @Option(names = "--thumbs", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "use thumbs feedback (default: on; --no-thumbs uses labels and corrections only)")
        boolean thumbs;

        @Override
        public Integer call() {
            CaptureFilter filter = selection.filter(Instant.now());
            ExportSpec spec = ExportSpec.to(out).filter(filter).task(task).labels(labels).thumbs(thumbs).build();
            Console console = where.console();
            try (JdbcCaptureStore store = where.open(false)) {
                TrainingExport e = store.export(spec);
                console.say("exported " + e.rows() + " examples to " + e.file() + " (" + e.sources() + "; "
                        + e.duplicates() + " duplicates resolved, latest wins; " + e.conflicts() + " conflicting texts; "
                        + "skipped " + e.skipped() + ")");
                if (e.rows() == 0) {
                    console.say("warning: no feedback in the selection gives a label; the file is empty and keel adapt "
                            + "will refuse it");
                }
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("rows", e.rows());
                json.put("sha256", e.sha256());
                json.put("sources", e.sources());
                json.put("out", e.file().toString());
                json.put("manifest", e.manifest().toString());
                json.put("format", e.format());
                json.put("task", e.task());
                json.put("labels", e.labels());
                json.put("duplicates", e.duplicates());
                json.put("conflicts", e.conflicts());
                json.put("skipped", e.skipped());
                json.put("filter", selection.json(filter));
                json.put("export", e.sequence());
                console.result(json);
            }
            return 0;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Count feedback by kind, joined and unmatched, and captured calls.")
    static final class Stats implements Callable<Integer> {
        @Mixin
        Store where;

        @Mixin
        Selection selection;

        @Override
        public Integer call() {
            CaptureFilter filter = selection.filter(Instant.now());
            Console console = where.console();
            try (JdbcCaptureStore store = where.open(false)) {
                FeedbackStats s = store.stats(filter);
                console.say(s.feedback() + " feedback (" + s.matched() + " joined to captured calls, " + s.unmatched()
                        + " unmatched: never captured, sampled out or expired), " + s.calls() + " captured calls ("
                        + s.callsWithFeedback() + " with feedback), " + s.exports() + " exports");
                s.byKind().forEach((k, v) -> console.say(String.format(Locale.ROOT, "  %-12s %d",
                        k.name().toLowerCase(Locale.ROOT), v)));
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("counts", s.counts());
                json.put("oldest", s.oldest() == null ? null : s.oldest().toString());
                json.put("newest", s.newest() == null ? null : s.newest().toString());
                json.put("filter", selection.json(filter));
                json.put("store", store.location());
                console.result(json);
            }
            return 0;
        }
    }
}
