package dev.keel.monitors.builtin;

import dev.keel.api.infer.InferenceSession;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.AlertRule;
import dev.keel.monitors.DefaultAlerts;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.drift.EmbeddingDrift;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Drift of input meaning: a sample of input texts is embedded (on this monitor's own thread, in batches,
 * with any session that can {@code embed}) and the first {@code reference_size} vectors are compared with
 * the last {@code current_size} by a domain classifier's AUC and by MMD. Needs a model, so it is built by
 * configuration rather than found by ServiceLoader. Events the embedding itself causes are not re-embedded:
 * the hub ignores events raised on monitor threads.
 *
 * <p>Settings ({@code keel.monitor.embedding_drift.*}): {@code sample_rate} (0.2), {@code reference_size}
 * (200), {@code current_size} (200), {@code batch} (16), {@code min_rows} (50), {@code permutations} (100),
 * {@code recompute_seconds} (5), {@code seed} (1).
 */
public final class EmbeddingDriftMonitor implements Monitor, DefaultAlerts {
    public static final String NAME = "embedding_drift";

    private final Function<List<String>, float[][]> embedder;
    private final double sampleRate;
    private final int referenceSize;
    private final int batch;
    private final int minRows;
    private final int permutations;
    private final long recomputeNanos;
    private final long seed;
    private final Random random;
    private final List<String> pending = new ArrayList<>();
    private final List<float[]> reference = new ArrayList<>();
    private final float[][] current;
    private int currentCount;
    private int currentNext;
    private long added;
    private long addedAtReport = -1;
    private long reportedAt;
    private EmbeddingDrift.DomainClassifierResult classifier;
    private EmbeddingDrift.MmdResult mmd;

    public EmbeddingDriftMonitor(MonitorConfig config, Function<List<String>, float[][]> embedder) {
        MonitorConfig c = config.forMonitor(NAME);
        this.embedder = embedder;
        this.sampleRate = c.number("sample_rate", 0.2);
        this.referenceSize = Math.max(4, c.integer("reference_size", 200));
        this.current = new float[Math.max(4, c.integer("current_size", 200))][];
        this.batch = Math.max(1, c.integer("batch", 16));
        this.minRows = Math.max(4, c.integer("min_rows", 50));
        this.permutations = c.integer("permutations", 100);
        this.recomputeNanos = (long) (c.number("recompute_seconds", 5) * 1e9);
        this.seed = c.integer("seed", 1);
        this.random = new Random(seed);
    }

    /** Embeds with a session's {@code embed} (MiniLM or any encoder). */
    public static EmbeddingDriftMonitor of(InferenceSession session, MonitorConfig config) {
        return new EmbeddingDriftMonitor(config, texts -> session.embed(texts).vectors());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void onInference(InferenceEvent e) {
        List<String> toEmbed = null;
        synchronized (this) {
            if (e.failed()) {
                return;
            }
            for (String text : e.inputs()) {
                if (random.nextDouble() < sampleRate) {
                    pending.add(text);
                }
            }
            if (pending.size() >= batch) {
                toEmbed = new ArrayList<>(pending);
                pending.clear();
            }
        }
        if (toEmbed != null) {
            float[][] vectors = embedder.apply(toEmbed);
            add(vectors);
        }
    }

    /** Adds vectors directly (for hosts that already have the embeddings). */
    public synchronized void add(float[][] vectors) {
        for (float[] v : vectors) {
            added++;
            if (reference.size() < referenceSize) {
                reference.add(v);
            } else {
                current[currentNext] = v;
                currentNext = (currentNext + 1) % current.length;
                currentCount = Math.min(currentCount + 1, current.length);
            }
        }
    }

    private synchronized void refresh() {
        if (reference.size() < minRows || currentCount < minRows || added == addedAtReport
                || System.nanoTime() - reportedAt < recomputeNanos && classifier != null) {
            return;
        }
        float[][] ref = reference.toArray(float[][]::new);
        float[][] cur = new float[currentCount][];
        System.arraycopy(current, 0, cur, 0, currentCount);
        classifier = EmbeddingDrift.domainClassifier(ref, cur, seed);
        mmd = permutations > 0 ? EmbeddingDrift.mmd(ref, cur, permutations, 500, seed) : null;
        addedAtReport = added;
        reportedAt = System.nanoTime();
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        refresh();
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("reference_vectors", (double) reference.size());
        v.put("current_vectors", (double) currentCount);
        v.put("domain_classifier_auc", classifier == null ? Double.NaN : classifier.auc());
        v.put("auc_threshold", classifier == null ? Double.NaN : classifier.threshold());
        v.put("mmd2", mmd == null ? Double.NaN : mmd.mmd2());
        v.put("mmd_p_value", mmd == null ? Double.NaN : mmd.pValue());
        v.put("drifted", classifier == null ? Double.NaN : classifier.drifted() ? 1.0 : 0.0);
        Map<String, Object> d = new LinkedHashMap<>();
        if (classifier != null) {
            List<Map<String, Object>> tests = new java.util.ArrayList<>();
            tests.add(new LinkedHashMap<>(classifier.toMap()));
            if (mmd != null) {
                tests.add(new LinkedHashMap<>(mmd.toMap()));
            }
            for (Map<String, Object> t : tests) {
                t.put("reference_rows", reference.size());
                t.put("current_rows", currentCount);
            }
            d.put("tests", tests);
        }
        return new MonitorSnapshot(NAME, Instant.now(), v, d);
    }

    @Override
    public List<AlertRule> defaultAlerts() {
        return List.of(AlertRule.above(NAME, "drifted", 0.5));
    }
}
