package dev.keel.iterate.trigger;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.IterationLoop;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.AlertListener;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Starts continuous-learning rounds when something says it is time: a monitor alert by name, a count of new
 * labelled feedback, a fixed interval, or a call by hand. Rounds run one at a time on the scheduler's own
 * thread; a trigger that fires while a round runs is <em>coalesced</em>: folded into the running round's
 * record ({@link RoundResult#coalesced()}) instead of queueing a second round on the same data. In dry-run
 * mode every round only plans ({@link IterationLoop#plan}).
 *
 * <p>Attach it where the signals are: {@code hub.addAlertListener(scheduler)} for alerts, and
 * {@link #feedbackMonitor()} on the monitor hub (or {@link #onFeedback} from the host) for feedback counts.
 */
public final class RoundScheduler implements AlertListener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RoundScheduler.class.getName());
    private static final int HISTORY = 100;

    /** What became of one firing. */
    public enum Status {
        /** A round started for this trigger. */
        STARTED,
        /** A round was already running; the trigger was folded into it. */
        COALESCED,
        /** The scheduler is closed. */
        IGNORED
    }

    /**
     * @param status  started, coalesced or ignored
     * @param trigger the trigger
     * @param round   the round it started or was folded into (completes with its result); null when ignored
     */
    public record Firing(Status status, Trigger trigger, CompletableFuture<RoundResult> round) { }

    private final Function<Trigger, RoundResult> round;
    private final List<String> alertNames;
    private final long feedbackThreshold;
    private final ExecutorService worker;
    private final ScheduledExecutorService timer;
    private final Object lock = new Object();
    private final List<Trigger> folded = new ArrayList<>();
    private final List<RoundResult> history = new ArrayList<>();
    private CompletableFuture<RoundResult> current;
    private long feedbackSinceRound;
    private long started;
    private long coalesced;
    private long failed;
    private String lastError;
    private boolean closed;

    private RoundScheduler(Builder b) {
        this.round = b.dryRun ? b.loop::plan : b.loop::run;
        this.alertNames = List.copyOf(b.alertNames);
        this.feedbackThreshold = b.feedbackThreshold;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "keel-iterate-round");
            t.setDaemon(true);
            return t;
        });
        if (b.every != null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "keel-iterate-timer");
                t.setDaemon(true);
                return t;
            });
            long ms = b.every.toMillis();
            Duration every = b.every;
            timer.scheduleAtFixedRate(() -> fire(Trigger.interval(every)), ms, ms, TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts a round for {@code trigger}, or folds the trigger into the round that is running. Never blocks. */
    public Firing fire(Trigger trigger) {
        CompletableFuture<RoundResult> f;
        synchronized (lock) {
            if (closed) {
                return new Firing(Status.IGNORED, trigger, null);
            }
            feedbackSinceRound = 0;
            if (current != null) {
                folded.add(trigger);
                coalesced++;
                return new Firing(Status.COALESCED, trigger, current);
            }
            f = new CompletableFuture<>();
            current = f;
            started++;
        }
        worker.execute(() -> runRound(trigger, f));
        return new Firing(Status.STARTED, trigger, f);
    }

    private void runRound(Trigger trigger, CompletableFuture<RoundResult> f) {
        RoundResult result = null;
        Throwable error = null;
        try {
            result = round.apply(trigger);
        } catch (RuntimeException | Error e) {
            error = e;
        }
        synchronized (lock) {
            if (result != null) {
                result = result.withCoalesced(folded);
                history.add(result);
                if (history.size() > HISTORY) {
                    history.remove(0);
                }
            } else {
                failed++;
                lastError = error.getMessage();
            }
            folded.clear();
            current = null; // before completing, so a listener of the result may start the next round
        }
        if (result != null) {
            f.complete(result);
        } else {
            LOG.log(System.Logger.Level.WARNING, "continuous-learning round for " + trigger.kind() + " "
                    + trigger.source() + " failed: " + error.getMessage());
            f.completeExceptionally(error);
        }
    }

    /** Fires for an alert whose monitor or {@code monitor/metric} was named (or any, with {@code *}). */
    @Override
    public void onAlert(Alert alert) {
        String key = alert.monitor() + "/" + alert.metric();
        if (alertNames.contains("*") || alertNames.contains(alert.monitor()) || alertNames.contains(key)) {
            fire(Trigger.alert(alert));
        }
    }

    /** Counts labelled feedback (labels, corrections, thumbs); fires when the configured count is reached. */
    public void onFeedback(Feedback feedback) {
        if (feedbackThreshold <= 0 || feedback == null) {
            return;
        }
        boolean labelled = switch (feedback.kind()) {
            case LABEL, CORRECTION, THUMBS_UP, THUMBS_DOWN -> true;
            default -> false;
        };
        if (!labelled) {
            return;
        }
        long count;
        synchronized (lock) {
            count = ++feedbackSinceRound;
        }
        if (count >= feedbackThreshold) {
            fire(Trigger.feedback(count, feedbackThreshold));
        }
    }

    /**
     * A monitor that hands feedback to {@link #onFeedback} and shows the scheduler's counts in the hub's
     * snapshots; add it to the monitor hub that receives the host's feedback.
     */
    public Monitor feedbackMonitor() {
        return new Monitor() {
            @Override
            public String name() {
                return "iterate";
            }

            @Override
            public void onInference(InferenceEvent event) { }

            @Override
            public void onFeedback(Feedback feedback) {
                RoundScheduler.this.onFeedback(feedback);
            }

            @Override
            public MonitorSnapshot snapshot() {
                return new MonitorSnapshot("iterate", Instant.now(), counts(), Map.of());
            }
        };
    }

    /** Rounds started, coalesced triggers, failed rounds, and labelled feedback since the last round. */
    public Map<String, Double> counts() {
        synchronized (lock) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("rounds_started_total", (double) started);
            m.put("triggers_coalesced_total", (double) coalesced);
            m.put("rounds_failed_total", (double) failed);
            m.put("feedback_since_round", (double) feedbackSinceRound);
            m.put("round_running", current == null ? 0.0 : 1.0);
            return m;
        }
    }

    /** The finished rounds, oldest first (the last {@value #HISTORY}). */
    public List<RoundResult> history() {
        synchronized (lock) {
            return List.copyOf(history);
        }
    }

    /** The message of the last round that failed, if any. */
    public String lastError() {
        synchronized (lock) {
            return lastError;
        }
    }

    /** Stops the timer, lets a running round finish (up to {@code wait}), and ignores later triggers. */
    public void close(Duration wait) {
        synchronized (lock) {
            closed = true;
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        worker.shutdown();
        try {
            worker.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ofMinutes(10));
    }

    public static final class Builder {
        private IterationLoop loop;
        private final List<String> alertNames = new ArrayList<>();
        private long feedbackThreshold;
        private Duration every;
        private boolean dryRun;

        /** The loop whose rounds this scheduler starts (required). */
        public Builder loop(IterationLoop v) { loop = v; return this; }

        /** Fires on alerts of this monitor ({@code accuracy}), of one metric ({@code drift/drift_share}), or any ({@code *}). */
        public Builder onAlert(String monitorOrMetric) {
            if (monitorOrMetric == null || monitorOrMetric.isBlank()) {
                throw new InvalidInputException("name the alert that triggers a round: a monitor (accuracy, drift, "
                        + "bias), monitor/metric, or *");
            }
            alertNames.add(monitorOrMetric.trim());
            return this;
        }

        /** Fires when this many labelled feedback items arrived since the last round started. */
        public Builder onFeedbackCount(long n) {
            if (n <= 0) {
                throw new InvalidInputException("the feedback count that triggers a round must be positive, got " + n);
            }
            feedbackThreshold = n;
            return this;
        }

        /** Fires on a fixed interval. */
        public Builder every(Duration v) {
            if (v == null || v.isZero() || v.isNegative()) {
                throw new InvalidInputException("the round interval must be positive, got " + v);
            }
            every = v;
            return this;
        }

        /** Plans rounds instead of running them (nothing is trained or registered). */
        public Builder dryRun(boolean v) { dryRun = v; return this; }

        public RoundScheduler build() {
            if (loop == null) {
                throw new InvalidInputException("a round scheduler needs the loop whose rounds it starts: builder().loop(...)");
            }
            return new RoundScheduler(this);
        }
    }
}
