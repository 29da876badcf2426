package dev.keel.monitors.builtin;

import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.AlertRule;
import dev.keel.monitors.DefaultAlerts;
import dev.keel.monitors.MonitorConfig;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What users experience: the share of positive feedback, corrections and retries the host reports, the mean
 * score, and compliance with a latency objective (the share of calls that finished within the target, over
 * all calls and over the last {@code window} calls).
 *
 * <p>Settings ({@code keel.monitor.ux.*}): {@code latency_objective_seconds} (0.5), {@code objective}
 * (the compliance goal that raises an alert below it, 0.95), {@code window} (1,000), {@code min_calls}
 * (calls before compliance is reported, 20).
 */
public final class UserExperienceMonitor implements Monitor, DefaultAlerts {
    public static final String NAME = "ux";

    private final long objectiveNanos;
    private final double objective;
    private final int minCalls;
    private final boolean[] recent;
    private int recentCount;
    private int recentNext;
    private int recentWithin;
    private long calls;
    private long within;
    private long up;
    private long down;
    private long corrections;
    private long retries;
    private long labels;
    private long scores;
    private double scoreSum;

    public UserExperienceMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    public UserExperienceMonitor(MonitorConfig config) {
        MonitorConfig c = config.forMonitor(NAME);
        objectiveNanos = (long) (c.number("latency_objective_seconds", 0.5) * 1e9);
        objective = c.number("objective", 0.95);
        minCalls = c.integer("min_calls", 20);
        recent = new boolean[Math.max(1, c.integer("window", 1000))];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized void onInference(InferenceEvent e) {
        calls++;
        boolean ok = !e.failed() && e.totalNanos() <= objectiveNanos;
        if (ok) {
            within++;
        }
        if (recentCount == recent.length && recent[recentNext]) {
            recentWithin--;
        }
        recent[recentNext] = ok;
        recentWithin += ok ? 1 : 0;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    @Override
    public synchronized void onFeedback(Feedback f) {
        switch (f.kind()) {
            case THUMBS_UP -> up++;
            case THUMBS_DOWN -> down++;
            case CORRECTION -> corrections++;
            case RETRY -> retries++;
            case LABEL -> labels++;
            case SCORE -> {
                if (!Double.isNaN(f.score())) {
                    scores++;
                    scoreSum += f.score();
                }
            }
            default -> { }
        }
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("positive_feedback_share", up + down == 0 ? Double.NaN : (double) up / (up + down));
        v.put("thumbs_up_total", (double) up);
        v.put("thumbs_down_total", (double) down);
        v.put("corrections_total", (double) corrections);
        v.put("retries_total", (double) retries);
        v.put("labels_total", (double) labels);
        v.put("correction_rate", calls == 0 ? Double.NaN : (double) corrections / calls);
        v.put("retry_rate", calls == 0 ? Double.NaN : (double) retries / calls);
        v.put("score_mean", scores == 0 ? Double.NaN : scoreSum / scores);
        v.put("latency_objective_seconds", objectiveNanos / 1e9);
        v.put("latency_objective_compliance", calls < minCalls ? Double.NaN : (double) within / calls);
        v.put("latency_objective_compliance_recent", recentCount < minCalls ? Double.NaN
                : (double) recentWithin / recentCount);
        v.put("calls_total", (double) calls);
        return new MonitorSnapshot(NAME, Instant.now(), v, Map.of());
    }

    @Override
    public List<AlertRule> defaultAlerts() {
        return List.of(AlertRule.below(NAME, "latency_objective_compliance_recent", objective));
    }
}
