package dev.keel.registry.capture;

import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStats;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.registry.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The inference log's write path. The caller's thread samples the call and adds it to a bounded lock-free
 * queue: no lock, no thread woken, no I/O (a full queue drops the call and counts it). One writer thread,
 * on a database handle of its own, wakes every flush interval (or when {@link #flush} asks), redacts and tags
 * what the queue holds, and commits it in one transaction. A failed commit is retried with a growing pause
 * while new calls queue up (and, once the queue is full, are dropped and counted); a batch that fails three
 * times is tried one row at a time, so one row the store refuses cannot block the log.
 */
final class CaptureWriter {
    private static final System.Logger LOG = System.getLogger(CaptureWriter.class.getName());
    private static final int MAX_BATCH = 4096;
    private static final int RETENTION_CHUNK = 50_000;

    /** A call waiting to be written: the event and which model served it. */
    record Pending(InferenceEvent event, String model, String version) { }

    private final Database db;
    private final CaptureOptions options;
    // lock-free, so a caller never waits for the writer (which may be descheduled while it drains)
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final int capacity;
    private final Thread thread;
    private final long flushNanos;
    private final long sampleThreshold;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder sampledOut = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong redactionFailures = new AtomicLong();
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong deletedByRetention = new AtomicLong();
    private final Object progress = new Object();
    private volatile List<Pending> inFlight = List.of();
    private volatile String lastError;
    private volatile boolean flushRequested;
    private volatile boolean closing;
    private volatile long giveUpAtNanos = Long.MAX_VALUE;
    private long nextRetentionNanos;

    CaptureWriter(Database db, CaptureOptions options) {
        this.db = db;
        this.options = options;
        this.capacity = options.queueCapacity();
        this.flushNanos = options.flushInterval().toNanos();
        // sampling compares a hash of the inference id with this bound, so every process keeps the same calls
        this.sampleThreshold = (long) (options.sampleRate() * (1L << 32));
        this.nextRetentionNanos = System.nanoTime() + options.retentionInterval().toNanos();
        this.thread = new Thread(this::run, "keel-capture-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** On the caller's thread: never blocks, never throws. */
    void offer(InferenceEvent event, String model, String version) {
        try {
            if (event == null || closing) {
                dropped.increment();
                return;
            }
            if (!sampled(event.id()) || !options.captures(event.operation().label())) {
                sampledOut.increment();
                return;
            }
            if (queued.incrementAndGet() > capacity) {
                queued.decrementAndGet();
                dropped.increment();
                return;
            }
            queue.add(new Pending(event, model, version));
            accepted.increment();
        } catch (RuntimeException e) {
            dropped.increment(); // the log must never fail a call
        }
    }

    private boolean sampled(String id) {
        if (sampleThreshold >= 1L << 32) {
            return true;
        }
        int h = id == null ? 0 : id.hashCode();
        h ^= h >>> 16; // MurmurHash3's finaliser: neighbouring ids land far apart
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return (h & 0xffffffffL) < sampleThreshold;
    }

    /** True when {@code id} is queued or being written now (feedback on it will find it shortly). */
    boolean pending(String id) {
        for (Pending p : inFlight) {
            if (id.equals(p.event().id())) {
                return true;
            }
        }
        for (Pending p : queue) {
            if (id.equals(p.event().id())) {
                return true;
            }
        }
        return false;
    }

    CaptureStats stats() {
        long acc = accepted.sum();
        return new CaptureStats(acc, sampledOut.sum(), dropped.sum(), written.get(), lost.get(),
                redactionFailures.get(), writeFailures.get(), deletedByRetention.get(), Math.max(0, acc - processed.get()),
                lastError);
    }

    /** Waits until every call accepted so far is written or lost; true when none of them was lost. */
    boolean flush(Duration timeout) {
        long target = accepted.sum();
        long lostBefore = lost.get();
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (processed.get() < target) {
                flushRequested = true;
                LockSupport.unpark(thread);
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.isAlive()) {
                    return false;
                }
                try {
                    progress.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return lost.get() == lostBefore;
    }

    /** Stops taking calls, writes what is queued (for at most {@code timeout}), then stops the thread. */
    void close(Duration timeout) {
        closing = true;
        giveUpAtNanos = System.nanoTime() + timeout.toNanos();
        LockSupport.unpark(thread);
        try {
            thread.join(Math.max(1, timeout.toMillis() + 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            if (queue.isEmpty()) {
                if (closing) {
                    return;
                }
                retention();
                if (!flushRequested) {
                    // parking instead of waiting on the queue: an offer never has to wake this thread
                    LockSupport.parkNanos(flushNanos);
                }
                flushRequested = false;
                continue;
            }
            for (Pending p; batch.size() < MAX_BATCH && (p = queue.poll()) != null; ) {
                batch.add(p);
                queued.decrementAndGet();
            }
            inFlight = List.copyOf(batch);
            try {
                write(batch);
            } catch (RuntimeException | Error e) {
                // Keel's own code failed: count the batch as lost rather than let capture die for the process
                fail(e);
                lost.addAndGet(batch.size());
            } finally {
                processed.addAndGet(batch.size());
                inFlight = List.of();
                batch.clear();
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        }
    }

    /** Redacts, tags and commits one batch, retrying while the store is unavailable. */
    private void write(List<Pending> batch) {
        List<CallRecords.Row> rows = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            CallRecords.Row row = row(p);
            if (row != null) {
                rows.add(row);
            }
        }
        long pause = 100;
        for (int attempt = 1; !rows.isEmpty(); attempt++) {
            try {
                insert(rows);
                written.addAndGet(rows.size());
                return;
            } catch (RuntimeException e) {
                fail(e);
                writeFailures.incrementAndGet();
            }
            if (attempt >= 3) {
                rows = oneByOne(rows);
            }
            if (rows.isEmpty()) {
                return;
            }
            if (System.nanoTime() >= giveUpAtNanos) {
                lost.addAndGet(rows.size());
                return;
            }
            LockSupport.parkNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(pause),
                    Math.max(0, giveUpAtNanos - System.nanoTime())));
            pause = Math.min(pause * 2, 5_000);
        }
    }

    /**
     * After repeated failures: when the first row alone fails too, the store is down and the whole batch waits
     * for the next attempt; otherwise the rows are written one at a time and the ones the store refuses are lost.
     */
    private List<CallRecords.Row> oneByOne(List<CallRecords.Row> rows) {
        try {
            insert(List.of(rows.get(0)));
        } catch (RuntimeException e) {
            return rows;
        }
        written.incrementAndGet();
        for (CallRecords.Row r : rows.subList(1, rows.size())) {
            try {
                insert(List.of(r));
                written.incrementAndGet();
            } catch (RuntimeException e) {
                fail(e);
                lost.incrementAndGet();
            }
        }
        return List.of();
    }

    private void insert(List<CallRecords.Row> rows) {
        db.write(JdbcCaptureStore.COMPONENT, c -> {
            long seq = maxSeq(c, CallRecords.CALLS);
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = c.prepareStatement(CallRecords.INSERT)) {
                for (CallRecords.Row r : rows) {
                    r.bind(ps, ++seq, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    static long maxSeq(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(seq) FROM " + table)) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** The stored form of a call, or null when its redaction failed (then it is never stored). */
    private CallRecords.Row row(Pending p) {
        InferenceEvent e = p.event();
        List<String> inputs = e.inputs();
        if (options.redactor() != null) {
            try {
                List<String> redacted = new ArrayList<>(inputs.size());
                for (String s : inputs) {
                    redacted.add(java.util.Objects.requireNonNull(options.redactor().apply(s),
                            "the redactor returned null"));
                }
                inputs = redacted;
            } catch (RuntimeException ex) {
                redactionFailures.incrementAndGet();
                lost.incrementAndGet();
                fail(ex);
                return null;
            }
        }
        Map<String, String> tags = Map.of();
        if (options.tagger() != null) {
            try {
                Map<String, String> t = options.tagger().apply(e);
                tags = t == null ? Map.of() : new java.util.TreeMap<>(t);
            } catch (RuntimeException ex) {
                fail(ex);
            }
        }
        String version = p.version() != null ? p.version() : e.modelVersion();
        return new CallRecords.Row(CallRecords.plain(e.id()), e.timestamp().toEpochMilli(), CallRecords.plain(p.model()),
                CallRecords.plain(version), CallRecords.plain(e.backend()), CallRecords.plain(e.device()),
                e.operation().label(), e.totalNanos(), e.inputTokens(), e.outputTokens(), CallRecords.json(inputs),
                CallRecords.json(e.outputs()), CallRecords.json(e.confidences()), CallRecords.plain(e.error()),
                CallRecords.json(tags));
    }

    /** Deletes calls past the retention rules, in chunks so a write lock is never held for long. */
    private void retention() {
        if (System.nanoTime() < nextRetentionNanos || (options.maxAge() == null && options.maxRows() == 0)) {
            return;
        }
        nextRetentionNanos = System.nanoTime() + options.retentionInterval().toNanos();
        try {
            runRetention();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /** One retention pass now (also called by tests and by {@link JdbcCaptureStore#applyRetention()}). */
    long runRetention() {
        String spare = options.keepCallsWithFeedback()
                ? " AND NOT EXISTS (SELECT 1 FROM " + CallRecords.FEEDBACK + " f WHERE f.call_id = c.id)" : "";
        long deleted = 0;
        if (options.maxAge() != null) {
            long cutoff = System.currentTimeMillis() - options.maxAge().toMillis();
            long n;
            do {
                n = db.write(JdbcCaptureStore.COMPONENT, c -> {
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + CallRecords.CALLS
                            + " WHERE seq IN (SELECT c.seq FROM " + CallRecords.CALLS + " c WHERE c.at < ?" + spare
                            + " ORDER BY c.seq LIMIT " + RETENTION_CHUNK + ")")) {
                        ps.setLong(1, cutoff);
                        return (long) ps.executeUpdate();
                    }
                });
                deleted += n;
            } while (n == RETENTION_CHUNK);
        }
        if (options.maxRows() > 0) {
            long n;
            do {
                n = db.write(JdbcCaptureStore.COMPONENT, c -> {
                    long count;
                    try (Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + CallRecords.CALLS)) {
                        rs.next();
                        count = rs.getLong(1);
                    }
                    long excess = Math.min(RETENTION_CHUNK, count - options.maxRows());
                    if (excess <= 0) {
                        return 0L;
                    }
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + CallRecords.CALLS
                            + " WHERE seq IN (SELECT c.seq FROM " + CallRecords.CALLS + " c WHERE 1 = 1" + spare
                            + " ORDER BY c.seq LIMIT ?)")) {
                        ps.setLong(1, excess);
                        return (long) ps.executeUpdate();
                    }
                });
                deleted += n;
            } while (n == RETENTION_CHUNK);
        }
        deletedByRetention.addAndGet(deleted);
        return deleted;
    }

    private void fail(Throwable e) {
        String message = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (lastError == null) {
            LOG.log(System.Logger.Level.WARNING, "the inference log could not write (" + message + "); calls are "
                    + "unaffected, failures are counted in its stats");
        }
        lastError = message;
    }
}
