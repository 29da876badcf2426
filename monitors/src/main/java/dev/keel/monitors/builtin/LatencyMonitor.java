package dev.keel.monitors.builtin;

import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latency and throughput: HdrHistogram percentiles (p50, p95, p99, max) of each stage (tokenize, queue,
 * compute) and of the whole call, time to first token and time per output token for generation, the error
 * rate, token counts and requests per second over the last minute. Memory is a few fixed histograms.
 *
 * <p>Settings ({@code keel.monitor.latency.*}): {@code significant_digits} (default 2, i.e. 1% resolution),
 * {@code throughput_window_seconds} (default 60).
 */
public final class LatencyMonitor implements Monitor {
    public static final String NAME = "latency";
    private static final long HIGHEST_NANOS = 3_600_000_000_000L;
    private static final String[] STAGES = {"tokenize", "queue", "compute", "total"};

    private final Map<String, Histogram> stages = new LinkedHashMap<>();
    private final Histogram ttft;
    private final Histogram tpot;
    private final int windowSeconds;
    private final long[] perSecond;
    private final long[] secondOf;
    private long requests;
    private long errors;
    private long inputTokens;
    private long outputTokens;
    private long firstSecond = Long.MIN_VALUE;
    private final Map<String, Long> byOperation = new LinkedHashMap<>();

    public LatencyMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    public LatencyMonitor(MonitorConfig config) {
        MonitorConfig c = config.forMonitor(NAME);
        int digits = c.integer("significant_digits", 2);
        for (String s : STAGES) {
            stages.put(s, new Histogram(1, HIGHEST_NANOS, digits));
        }
        ttft = new Histogram(1, HIGHEST_NANOS, digits);
        tpot = new Histogram(1, HIGHEST_NANOS, digits);
        windowSeconds = Math.max(1, c.integer("throughput_window_seconds", 60));
        perSecond = new long[windowSeconds];
        secondOf = new long[windowSeconds];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized void onInference(InferenceEvent e) {
        requests++;
        byOperation.merge(e.operation().label(), 1L, Long::sum);
        long second = (e.timestamp() == null ? Instant.now() : e.timestamp()).getEpochSecond();
        if (firstSecond == Long.MIN_VALUE) {
            firstSecond = second;
        }
        int slot = (int) Math.floorMod(second, (long) windowSeconds);
        if (secondOf[slot] != second) {
            secondOf[slot] = second;
            perSecond[slot] = 0;
        }
        perSecond[slot]++;
        if (e.failed()) {
            errors++;
            return;
        }
        record("tokenize", e.tokenizeNanos());
        record("queue", e.queueNanos());
        record("compute", e.computeNanos());
        record("total", e.totalNanos());
        inputTokens += Math.max(0, e.inputTokens());
        outputTokens += Math.max(0, e.outputTokens());
        if (e.timeToFirstTokenNanos() > 0) {
            ttft.recordValue(clamp(e.timeToFirstTokenNanos()));
            if (e.outputTokens() > 1) {
                long rest = e.computeNanos() - e.timeToFirstTokenNanos();
                if (rest > 0) {
                    tpot.recordValue(clamp(rest / (e.outputTokens() - 1)));
                }
            }
        }
    }

    private void record(String stage, long nanos) {
        stages.get(stage).recordValue(clamp(nanos));
    }

    private static long clamp(long nanos) {
        return Math.max(1, Math.min(HIGHEST_NANOS, nanos));
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        Map<String, Double> v = new LinkedHashMap<>();
        for (Map.Entry<String, Histogram> s : stages.entrySet()) {
            percentiles(v, "latency_" + s.getKey(), s.getValue());
        }
        percentiles(v, "time_to_first_token", ttft);
        percentiles(v, "time_per_output_token", tpot);
        v.put("requests_total", (double) requests);
        v.put("errors_total", (double) errors);
        v.put("error_rate", requests == 0 ? Double.NaN : (double) errors / requests);
        v.put("input_tokens_total", (double) inputTokens);
        v.put("output_tokens_total", (double) outputTokens);
        v.put("throughput_requests_per_second", throughput());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("histogram_total_seconds", buckets(stages.get("total")));
        d.put("requests_by_operation", new LinkedHashMap<>(byOperation));
        return new MonitorSnapshot(NAME, Instant.now(), v, d);
    }

    private double throughput() {
        if (firstSecond == Long.MIN_VALUE) {
            return 0;
        }
        long now = Instant.now().getEpochSecond();
        long count = 0;
        for (int i = 0; i < windowSeconds; i++) {
            if (secondOf[i] > now - windowSeconds && secondOf[i] <= now) {
                count += perSecond[i];
            }
        }
        long span = Math.max(1, Math.min(windowSeconds, now - firstSecond + 1));
        return (double) count / span;
    }

    private static void percentiles(Map<String, Double> v, String prefix, Histogram h) {
        boolean empty = h.getTotalCount() == 0;
        v.put(prefix + "_p50_seconds", empty ? Double.NaN : h.getValueAtPercentile(50) / 1e9);
        v.put(prefix + "_p95_seconds", empty ? Double.NaN : h.getValueAtPercentile(95) / 1e9);
        v.put(prefix + "_p99_seconds", empty ? Double.NaN : h.getValueAtPercentile(99) / 1e9);
        v.put(prefix + "_max_seconds", empty ? Double.NaN : h.getMaxValue() / 1e9);
    }

    /** About 24 log-spaced buckets between the fastest and the slowest call, for the report's histogram. */
    private static List<Map<String, Object>> buckets(Histogram h) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (h.getTotalCount() == 0) {
            return out;
        }
        double lo = Math.max(1, h.getMinValue());
        double hi = Math.max(lo * 1.01, h.getMaxValue());
        int n = 24;
        double ratio = Math.pow(hi / lo, 1.0 / n);
        long[] counts = new long[n];
        for (HistogramIterationValue x : h.recordedValues()) {
            double value = Math.max(lo, x.getValueIteratedTo());
            int idx = (int) Math.floor(Math.log(value / lo) / Math.log(ratio));
            counts[Math.max(0, Math.min(n - 1, idx))] += x.getCountAddedInThisIterationStep();
        }
        for (int i = 0; i < n; i++) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("from_seconds", lo * Math.pow(ratio, i) / 1e9);
            b.put("to_seconds", lo * Math.pow(ratio, i + 1) / 1e9);
            b.put("count", counts[i]);
            out.add(b);
        }
        return out;
    }
}
