package dev.keel.registry.capture;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.infer.Operation;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStats;
import dev.keel.api.iterate.CaptureStore;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.iterate.CapturedInputs;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.FeedbackStats;
import dev.keel.api.iterate.StoredFeedback;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.registry.db.Database;
import dev.keel.registry.db.Dialect;
import dev.keel.registry.db.SqlWork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The inference log and the feedback store in one database: SQLite (a folder, or a file such as
 * {@code capture.db}) or PostgreSQL (a JDBC URL), through the registry's {@link Database} with its own
 * tables ({@code keel_capture_*}) and migration history. It may share the registry's database (give the same
 * location) or live alone. One code path and one test suite for both stores; see {@code docs/iteration.md}.
 * <pre>
 * try (JdbcCaptureStore capture = JdbcCaptureStore.open("/var/lib/keel/capture")) {
 *     KeelRuntime keel = KeelRuntime.builder().capture(capture).build();
 *     ... serve; keel.feedback(Feedback.label(id, "0")); ...
 *     capture.export(ExportSpec.to(Path.of("feedback.tsv")).filter(CaptureFilter.all().model("sentiment")).build());
 * }
 * </pre>
 * Calls are written asynchronously ({@link dev.keel.api.iterate.InferenceLog} says what a crash can lose);
 * feedback is committed before {@link #record} returns, and concurrent callers share one commit.
 */
public final class JdbcCaptureStore implements CaptureStore {
    /** The component name of the capture tables and their migration history in a {@link Database}. */
    public static final String COMPONENT = "capture";
    /** The capture tables' Flyway migrations on the class path. */
    public static final String MIGRATIONS = "dev/keel/registry/capture/migration";
    /** The name the log's figures carry in the monitor hub ({@code capture/capture_dropped_total}). */
    public static final String MONITOR_NAME = "capture";
    private static final int MAX_ID_LENGTH = 512;

    private final Database db;
    private final Database writerDb;
    private final CaptureWriter writer;
    private final CaptureOptions options;
    private final String location;
    private final Duration closeTimeout;
    private final ConcurrentLinkedQueue<FeedbackBatch> feedbackQueue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock commitLock = new ReentrantLock();
    private final Thread shutdownHook;
    private volatile boolean closed;

    private JdbcCaptureStore(Database db, Database writerDb, CaptureOptions options, String location,
            Duration closeTimeout) {
        this.db = db;
        this.writerDb = writerDb;
        this.options = options;
        this.location = location;
        this.closeTimeout = closeTimeout;
        this.writer = new CaptureWriter(writerDb, options);
        // a host that exits without closing the store (SIGTERM, System.exit) still writes what is queued;
        // only SIGKILL or a power cut loses the queue
        this.shutdownHook = new Thread(() -> writer.flush(Duration.ofSeconds(5)), "keel-capture-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Opens (creating when absent) the store at a folder, an SQLite file or a JDBC URL, capturing every call. */
    public static JdbcCaptureStore open(String location) {
        return builder().location(location).build();
    }

    public static JdbcCaptureStore open(Path location) {
        return open(location.toString());
    }

    public static Builder builder() {
        return new Builder();
    }

    public CaptureOptions options() {
        return options;
    }

    @Override
    public String location() {
        return location;
    }

    // ------------------------------------------------------------------------------------------ the log

    @Override
    public void onInference(InferenceEvent event) {
        writer.offer(event, null, null);
    }

    @Override
    public InferenceListener listener(String model, String version) {
        return event -> writer.offer(event, model, version);
    }

    /** How long a read (an export, the shadow gate's inputs) waits for the log's queue to be written first. */
    private static final Duration READ_FLUSH = Duration.ofSeconds(10);

    @Override
    public boolean flush(Duration timeout) {
        return writer.flush(timeout);
    }

    @Override
    public CaptureStats stats() {
        return writer.stats();
    }

    /** Applies the retention rules now (the writer also does every {@link CaptureOptions#retentionInterval()}). */
    public long applyRetention() {
        return writer.runRetention();
    }

    @Override
    public Monitor monitor() {
        return new Monitor() {
            @Override
            public String name() {
                return MONITOR_NAME;
            }

            @Override
            public void onInference(InferenceEvent event) {
                // the log hears calls itself; the hub only shows its figures
            }

            @Override
            public MonitorSnapshot snapshot() {
                CaptureStats s = stats();
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("location", location);
                details.put("sample_rate", options.sampleRate());
                if (s.lastError() != null) {
                    details.put("last_error", s.lastError());
                }
                return new MonitorSnapshot(MONITOR_NAME, Instant.now(), s.values(), details);
            }
        };
    }

    @Override
    public Optional<CapturedCall> call(String id) {
        if (id == null) {
            return Optional.empty();
        }
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + CallRecords.COLUMNS + " FROM "
                    + CallRecords.CALLS + " c WHERE c.id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(CallRecords.read(rs, 1)) : Optional.<CapturedCall>empty();
                }
            }
        });
    }

    @Override
    public List<CapturedCall> calls(CaptureFilter filter, int limit) {
        if (limit < 0) {
            throw new InvalidInputException("call limit " + limit + " is negative");
        }
        List<CapturedCall> newestFirst = new ArrayList<>();
        newest(filter, call -> {
            if (CallRecords.anyInSlice(filter, call)) {
                newestFirst.add(call);
            }
            return newestFirst.size() < limit;
        });
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /** Visits the filter's calls newest first, a page at a time, until the visitor says stop. */
    private void newest(CaptureFilter filter, java.util.function.Predicate<CapturedCall> more) {
        CallRecords.Where where = CallRecords.where(filter, "c.at");
        long below = Long.MAX_VALUE;
        while (true) {
            long bound = below;
            List<CapturedCall> page = db.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT " + CallRecords.COLUMNS + " FROM "
                        + CallRecords.CALLS + " c" + where.sql() + " AND c.seq < ? ORDER BY c.seq DESC LIMIT 500")) {
                    where.bind(ps, 1);
                    ps.setLong(where.params().size() + 1, bound);
                    List<CapturedCall> out = new ArrayList<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(CallRecords.read(rs, 1));
                        }
                    }
                    return out;
                }
            });
            for (CapturedCall call : page) {
                if (!more.test(call)) {
                    return;
                }
            }
            if (page.size() < 500) {
                return;
            }
            below = page.get(page.size() - 1).sequence();
        }
    }

    @Override
    public CapturedInputs inputs(CaptureFilter filter) {
        // classification calls unless the filter names another operation (a language model's generate calls)
        CaptureFilter classify = filter.operation() == null ? filter.operation(Operation.CLASSIFY) : filter;
        return n -> {
            if (n <= 0) {
                return List.of();
            }
            writer.flush(READ_FLUSH); // the newest inputs include what was served just before
            List<CapturedCall> calls = new ArrayList<>();
            int[] items = {0};
            newest(classify, call -> {
                if (!call.failed()) {
                    calls.add(call);
                    items[0] += call.inputs().size();
                }
                return items[0] < n;
            });
            Map<String, StoredFeedback> latest = latestLabelling(calls);
            List<CapturedInput> newestFirst = new ArrayList<>();
            for (CapturedCall call : calls) {
                for (int k = call.inputs().size() - 1; k >= 0 && newestFirst.size() < n; k--) {
                    if (!CallRecords.inSlice(filter, call, k)) {
                        continue;
                    }
                    StoredFeedback f = latest.get(call.id() + "#" + k);
                    String id = call.inputs().size() == 1 ? call.id() : call.id() + "#" + k;
                    newestFirst.add(new CapturedInput(id, call.input(k), call.output(k),
                            f == null ? null : f.feedback().kind(), f == null ? null : f.feedback().value(), call.at()));
                }
            }
            Collections.reverse(newestFirst);
            return newestFirst;
        };
    }

    /** The latest labelling feedback (label, correction, thumbs) per {@code callId#item} of the calls. */
    private Map<String, StoredFeedback> latestLabelling(List<CapturedCall> calls) {
        Map<String, StoredFeedback> out = new LinkedHashMap<>();
        for (int from = 0; from < calls.size(); from += 500) {
            List<CapturedCall> chunk = calls.subList(from, Math.min(calls.size(), from + 500));
            db.read(c -> {
                try (PreparedStatement ps = c.prepareStatement(FEEDBACK_SELECT + " FROM " + CallRecords.FEEDBACK
                        + " f WHERE f.call_id IN (" + String.join(", ", Collections.nCopies(chunk.size(), "?"))
                        + ") ORDER BY f.given_at, f.seq")) {
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 1, chunk.get(i).id());
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            StoredFeedback f = readFeedback(rs, true);
                            if (TrainingExporter.labelling(f.feedback().kind())) {
                                out.put(f.callId() + "#" + f.item(), f);
                            }
                        }
                    }
                }
                return null;
            });
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ feedback

    private static final String FEEDBACK_SELECT = "SELECT f.seq, f.inference_id, f.call_id, f.item, f.kind, f.value, "
            + "f.score, f.given_at, f.recorded_at";
    private static final int FEEDBACK_COLUMNS = 9;

    /** Feedback columns 1..9 of the current row. */
    static StoredFeedback readFeedback(ResultSet rs, boolean matched) throws SQLException {
        double score = rs.getDouble(7);
        if (rs.wasNull()) {
            score = Double.NaN;
        }
        Feedback f = new Feedback(rs.getString(2), Feedback.Kind.valueOf(rs.getString(5)), rs.getString(6), score,
                Instant.ofEpochMilli(rs.getLong(8)));
        return new StoredFeedback(rs.getLong(1), f, rs.getString(3), rs.getInt(4), Instant.ofEpochMilli(rs.getLong(9)),
                matched);
    }

    /** Callers waiting for one commit: the first to take the lock commits everyone's feedback queued by then. */
    private static final class FeedbackBatch {
        final List<Feedback> feedback;
        List<StoredFeedback> stored;
        RuntimeException error;
        private boolean done;

        FeedbackBatch(List<Feedback> feedback) {
            this.feedback = feedback;
        }

        synchronized boolean isDone() {
            return done;
        }

        synchronized void finish() {
            done = true;
            notifyAll();
        }

        synchronized void wake() {
            notifyAll();
        }

        /** Waits to be committed or to be handed the lock; the 1 ms bound covers a wake-up that came first. */
        synchronized void await() {
            if (!done) {
                try {
                    wait(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KeelException("interrupted while waiting for feedback to commit; it may or may not "
                            + "have been recorded", e);
                }
            }
        }
    }

    @Override
    public StoredFeedback record(Feedback feedback) {
        return recordAll(Collections.singletonList(feedback)).get(0);
    }

    @Override
    public List<StoredFeedback> recordAll(List<Feedback> feedback) {
        if (feedback == null || feedback.isEmpty()) {
            throw new InvalidInputException("no feedback to record; give at least one Feedback");
        }
        for (Feedback f : feedback) {
            validate(f);
        }
        if (closed) {
            throw new InvalidInputException("the capture store " + location + " is closed; open it again to record "
                    + "feedback");
        }
        FeedbackBatch mine = new FeedbackBatch(List.copyOf(feedback));
        feedbackQueue.add(mine);
        // group commit: whoever gets the lock commits everything queued by then and wakes those it committed
        // (all at once, not one lock hand-off after another), then hands the lock to the next waiter in line
        while (!mine.isDone()) {
            if (commitLock.tryLock()) {
                try {
                    if (!mine.isDone()) {
                        List<FeedbackBatch> group = new ArrayList<>();
                        for (FeedbackBatch b; (b = feedbackQueue.poll()) != null; ) {
                            group.add(b);
                        }
                        commit(group);
                    }
                } finally {
                    commitLock.unlock();
                }
                FeedbackBatch next = feedbackQueue.peek();
                if (next != null) {
                    next.wake();
                }
            } else {
                mine.await();
            }
        }
        if (mine.error != null) {
            throw mine.error; // nothing of the group was committed; its type says whether the input was at fault
        }
        return mine.stored;
    }

    /**
     * Checks what {@link #record} would refuse (null, an over-long id, a NUL character, an empty label, a score
     * that is not a number), so a caller can refuse bad input before it opens or creates a store.
     */
    public static void validate(Feedback f) {
        if (f == null) {
            throw new InvalidInputException("feedback is null; build one with Feedback.label(id, label), "
                    + "Feedback.thumbsUp(id), ...");
        }
        if (f.inferenceId().length() > MAX_ID_LENGTH) {
            throw new InvalidInputException("feedback id is " + f.inferenceId().length() + " characters long; an "
                    + "inference id has at most " + MAX_ID_LENGTH + " (give the id the call returned)");
        }
        if (f.inferenceId().indexOf('\0') >= 0 || (f.value() != null && f.value().indexOf('\0') >= 0)) {
            throw new InvalidInputException("feedback on " + f.inferenceId().replace("\0", "\\0") + " holds a NUL "
                    + "character; remove it from the id and the value");
        }
        if ((f.kind() == Feedback.Kind.LABEL || f.kind() == Feedback.Kind.CORRECTION) && f.value().isBlank()) {
            throw new InvalidInputException(f.kind() + " feedback on " + f.inferenceId() + " has an empty value; give "
                    + "the correct label or text");
        }
        if (f.kind() == Feedback.Kind.SCORE && !Double.isFinite(f.score())) {
            throw new InvalidInputException("SCORE feedback on " + f.inferenceId() + " needs a finite score, got "
                    + f.score());
        }
    }

    private void commit(List<FeedbackBatch> group) {
        try {
            List<List<StoredFeedback>> stored = db.write(COMPONENT, c -> {
                long seq = CaptureWriter.maxSeq(c, CallRecords.FEEDBACK);
                long now = System.currentTimeMillis();
                List<List<StoredFeedback>> out = new ArrayList<>();
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + CallRecords.FEEDBACK + " (seq, "
                        + "inference_id, call_id, item, kind, value, score, given_at, recorded_at) VALUES "
                        + "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
                     PreparedStatement known = c.prepareStatement("SELECT 1 FROM " + CallRecords.CALLS
                             + " WHERE id = ?")) {
                    for (FeedbackBatch b : group) {
                        List<StoredFeedback> mine = new ArrayList<>(b.feedback.size());
                        for (Feedback f : b.feedback) {
                            String callId = StoredFeedback.callId(f.inferenceId());
                            int item = StoredFeedback.item(f.inferenceId());
                            ins.setLong(1, ++seq);
                            ins.setString(2, f.inferenceId());
                            ins.setString(3, callId);
                            ins.setInt(4, item);
                            ins.setString(5, f.kind().name());
                            ins.setString(6, f.value());
                            if (Double.isNaN(f.score())) {
                                ins.setNull(7, Types.DOUBLE);
                            } else {
                                ins.setDouble(7, f.score());
                            }
                            ins.setLong(8, f.timestamp().toEpochMilli());
                            ins.setLong(9, now);
                            ins.addBatch();
                            known.setString(1, callId);
                            boolean matched;
                            try (ResultSet rs = known.executeQuery()) {
                                matched = rs.next();
                            }
                            mine.add(new StoredFeedback(seq, f, callId, item, Instant.ofEpochMilli(now),
                                    matched || writer.pending(callId)));
                        }
                        out.add(mine);
                    }
                    ins.executeBatch();
                }
                return out;
            });
            for (int i = 0; i < group.size(); i++) {
                group.get(i).stored = List.copyOf(stored.get(i));
            }
        } catch (RuntimeException e) {
            group.forEach(b -> b.error = e);
        } finally {
            group.forEach(FeedbackBatch::finish);
        }
    }

    @Override
    public List<StoredFeedback> feedback(CaptureFilter filter) {
        List<StoredFeedback> out = new ArrayList<>();
        joined(filter, (f, call) -> out.add(f));
        return out;
    }

    /** What {@link #joined} hands over per piece of feedback: it, and its call (null when not in the log). */
    @FunctionalInterface
    interface JoinVisitor {
        void visit(StoredFeedback feedback, CapturedCall call);
    }

    /** Every piece of feedback the filter selects with its call, oldest first, read on a connection of its own. */
    void joined(CaptureFilter filter, JoinVisitor visitor) {
        CallRecords.Where where = CallRecords.where(filter, "f.given_at");
        readOwn(c -> {
            try (PreparedStatement ps = c.prepareStatement(FEEDBACK_SELECT + ", " + CallRecords.COLUMNS + " FROM "
                    + CallRecords.FEEDBACK + " f LEFT JOIN " + CallRecords.CALLS + " c ON c.id = f.call_id"
                    + where.sql() + " ORDER BY f.given_at, f.seq")) {
                ps.setFetchSize(1000);
                where.bind(ps, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        CapturedCall call = CallRecords.read(rs, FEEDBACK_COLUMNS + 1);
                        StoredFeedback f = readFeedback(rs, call != null);
                        if (CallRecords.inSlice(filter, call, f.item())) {
                            visitor.visit(f, call);
                        }
                    }
                }
            }
            return null;
        });
    }

    @Override
    public FeedbackStats stats(CaptureFilter filter) {
        long[] counts = new long[3]; // feedback, matched, unmatched
        Map<Feedback.Kind, Long> byKind = new EnumMap<>(Feedback.Kind.class);
        Instant[] range = new Instant[2];
        joined(filter, (f, call) -> {
            counts[0]++;
            counts[f.matched() ? 1 : 2]++;
            byKind.merge(f.feedback().kind(), 1L, Long::sum);
            Instant at = f.feedback().timestamp();
            range[0] = range[0] == null || at.isBefore(range[0]) ? at : range[0];
            range[1] = range[1] == null || at.isAfter(range[1]) ? at : range[1];
        });
        CallRecords.Where where = CallRecords.where(filter, "c.at");
        String hasFeedback = "EXISTS (SELECT 1 FROM " + CallRecords.FEEDBACK + " f WHERE f.call_id = c.id)";
        long[] calls = readOwn(c -> {
            long[] n = new long[2];
            if (filter.slices().isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(CASE WHEN " + hasFeedback
                        + " THEN 1 ELSE 0 END), 0) FROM " + CallRecords.CALLS + " c" + where.sql())) {
                    where.bind(ps, 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        n[0] = rs.getLong(1);
                        n[1] = rs.getLong(2);
                    }
                }
                return n;
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT " + CallRecords.COLUMNS + ", CASE WHEN "
                    + hasFeedback + " THEN 1 ELSE 0 END FROM " + CallRecords.CALLS + " c" + where.sql())) {
                ps.setFetchSize(1000);
                where.bind(ps, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (CallRecords.anyInSlice(filter, CallRecords.read(rs, 1))) {
                            n[0]++;
                            n[1] += rs.getInt(CallRecords.COLUMN_COUNT + 1);
                        }
                    }
                }
            }
            return n;
        });
        long exports = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + CallRecords.EXPORTS);
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
        return new FeedbackStats(counts[0], byKind, counts[1], counts[2], calls[0], calls[1], exports, range[0],
                range[1]);
    }

    // ------------------------------------------------------------------------------------------ export

    @Override
    public TrainingExport export(ExportSpec spec) {
        Path out = spec.out().toAbsolutePath().normalize();
        if (Files.isDirectory(out)) {
            throw new InvalidInputException("export file " + out + " is a folder; give a file name ending in .tsv "
                    + "or .jsonl");
        }
        if (out.getParent() != null && Files.exists(out.getParent()) && !Files.isDirectory(out.getParent())) {
            throw new InvalidInputException("export file " + out + " cannot be written: " + out.getParent()
                    + " is a file, not a folder");
        }
        TrainingExporter exporter = new TrainingExporter(spec, out);
        writer.flush(READ_FLUSH); // the calls captured before the export was asked for are joined too
        joined(spec.filter(), exporter::offer);
        exporter.resolveThumbsDown(this::labelsOf);
        exporter.writeFile();
        return db.write(COMPONENT, c -> {
            long seq = CaptureWriter.maxSeq(c, CallRecords.EXPORTS) + 1;
            TrainingExport done = exporter.writeManifest(seq, Instant.now());
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + CallRecords.EXPORTS + " (seq, at, file, "
                    + "sha256, row_count, manifest_json) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, seq);
                ps.setLong(2, done.at().toEpochMilli());
                ps.setString(3, done.file().toString());
                ps.setString(4, done.sha256());
                ps.setLong(5, done.rows());
                ps.setString(6, TrainingExporter.manifestJson(done));
                ps.executeUpdate();
            }
            return done;
        });
    }

    /** Labels a model has predicted in its most recent classification calls (to tell whether it is binary). */
    private java.util.Set<String> labelsOf(String model) {
        java.util.Set<String> labels = new java.util.TreeSet<>();
        CaptureFilter recent = CaptureFilter.all().operation(Operation.CLASSIFY).model(model);
        for (CapturedCall call : calls(recent, 1000)) {
            if (java.util.Objects.equals(call.model(), model)) {
                labels.addAll(call.outputs());
            }
        }
        return labels;
    }

    @Override
    public List<TrainingExport> exports() {
        return db.read(c -> {
            List<TrainingExport> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT manifest_json FROM " + CallRecords.EXPORTS
                    + " ORDER BY seq"); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(TrainingExporter.fromManifest(rs.getString(1)));
                }
            }
            return out;
        });
    }

    /** Runs long reads on a connection of their own, so feedback commits on the shared one never wait for them. */
    private <T> T readOwn(SqlWork<T> work) {
        try (Connection c = db.newConnection()) {
            if (db.dialect() == Dialect.POSTGRESQL) {
                c.setAutoCommit(false); // PostgreSQL streams a result set (fetch size) only inside a transaction
            }
            try {
                return work.run(c);
            } finally {
                if (db.dialect() == Dialect.POSTGRESQL) {
                    c.rollback();
                }
            }
        } catch (SQLException e) {
            throw new KeelException("cannot read from " + db.description() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            writer.close(closeTimeout);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: the hook is running or has run
            }
            writerDb.close();
            db.close();
        }
    }

    @Override
    public String toString() {
        return "JdbcCaptureStore[" + location + "]";
    }

    /** Where the store lives and how it captures; {@link #build()} opens it. */
    public static final class Builder {
        private String location;
        private CaptureOptions options = CaptureOptions.defaults();
        private Duration closeTimeout = Duration.ofSeconds(10);

        /**
         * A folder (SQLite in {@code FOLDER/keel.db}; the registry's folder works, the tables live side by side),
         * an SQLite file ({@code capture.db}) or {@code jdbc:sqlite:FILE}, or
         * {@code jdbc:postgresql://HOST:PORT/DB?user=U&password=P}.
         */
        public Builder location(String v) { location = v; return this; }

        public Builder options(CaptureOptions v) { options = v; return this; }

        /** How long {@link #close()} waits for queued calls to be written before counting them lost (default 10 s). */
        public Builder closeTimeout(Duration v) { closeTimeout = v; return this; }

        /**
         * {@code capture.db} that does not exist yet is a new SQLite file, not a folder: stores are usually named
         * as files ({@code --store feedback.db}), and a folder location stays a folder.
         */
        private static boolean newSqliteFile(String location) {
            if (location.startsWith("jdbc:")) {
                return false;
            }
            String name = location.toLowerCase(java.util.Locale.ROOT);
            return (name.endsWith(".db") || name.endsWith(".sqlite") || name.endsWith(".sqlite3"))
                    && !Files.exists(Path.of(location));
        }

        public JdbcCaptureStore build() {
            if (location == null || location.isBlank()) {
                throw new InvalidInputException("capture store location is empty; give a folder, an SQLite file "
                        + "(capture.db) or a JDBC URL (jdbc:postgresql://HOST:PORT/DB?user=U&password=P)");
            }
            if (options == null) {
                throw new InvalidInputException("capture options are null; use CaptureOptions.defaults()");
            }
            if (closeTimeout == null || closeTimeout.isNegative()) {
                throw new InvalidInputException("close timeout " + closeTimeout + " must be zero or more");
            }
            String dbLocation = JdbcModelRegistry.databaseLocation(location);
            Database db = newSqliteFile(dbLocation) ? Database.sqlite(Path.of(dbLocation)) : Database.open(dbLocation);
            Database writerDb = null;
            try {
                db.migrate(COMPONENT, MIGRATIONS);
                writerDb = Database.open(dbLocation);
                String shown = db.file().map(Path::toString).orElse(db.description());
                return new JdbcCaptureStore(db, writerDb, options, shown, closeTimeout);
            } catch (RuntimeException e) {
                if (writerDb != null) {
                    writerDb.close();
                }
                db.close();
                throw e;
            }
        }
    }
}
