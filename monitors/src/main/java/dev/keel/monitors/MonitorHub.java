package dev.keel.monitors;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.AlertListener;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands inference events and feedback to monitors without ever failing or stalling the caller.
 *
 * <p>The caller's thread does one non-blocking {@code offer} into a bounded queue; when the queue is full the
 * event is dropped and counted (monitoring is sampled rather than the host slowed). Nothing is woken per
 * call: a dispatcher thread drains the queue in batches every few milliseconds,
 * indexes recent inferences by id (to join late feedback) and fans each item out to one lane per monitor:
 * its own bounded queue and thread, so a slow monitor only loses its own events and a throwing one only
 * its own calls. Errors and slow calls are counted per monitor, shown in the hub's snapshot, and raised
 * once as alerts. Alert rules are checked on a schedule and on demand.
 *
 * <p>The hub itself is the queue and the dispatcher; its other jobs are parts that are tested alone:
 * {@link MonitorLane} (one monitor's queue, thread and counters), {@link RecentInferences} (the index that joins
 * late feedback to its call), {@link AlertEngine} (rules, raised-once alerts, listeners) and
 * {@link MonitorDiscovery} (ServiceLoader, per-monitor settings, construction failures).
 */
public final class MonitorHub implements InferenceListener, AutoCloseable {
    /** The hub reports on itself under this name. */
    public static final String NAME = "hub";
    private static final System.Logger LOG = System.getLogger(MonitorHub.class.getName());

    private final BlockingQueue<Object> inbox;
    private final List<MonitorLane> lanes;
    private final Map<String, MonitorLane> byName;
    private final RecentInferences recent;
    private final long slowNanos;
    private final long dispatchNanos;
    private final AlertEngine alerts;
    private final Thread dispatcher;
    private final ScheduledExecutorService alertTimer;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder feedbackAccepted = new LongAdder();
    private final LongAdder feedbackUnmatched = new LongAdder();
    private final LongAdder selfEvents = new LongAdder();
    private final AtomicLong dispatched = new AtomicLong();
    private final Map<String, String> constructionErrors;
    private final List<Monitor> reporters = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private MonitorHub(Builder b) {
        this.inbox = new ArrayBlockingQueue<>(b.capacity);
        this.recent = new RecentInferences(b.recentInferences);
        this.slowNanos = b.slowCall.toNanos();
        this.alerts = new AlertEngine(b.alertListeners);
        this.dispatchNanos = Math.max(100_000, b.dispatchInterval.toNanos());
        this.constructionErrors = Map.copyOf(b.constructionErrors);
        List<MonitorLane> ls = new ArrayList<>();
        Map<String, MonitorLane> names = new LinkedHashMap<>();
        for (Monitor m : b.monitors) {
            String name = m.name();
            if (names.containsKey(name) || NAME.equals(name)) {
                throw new InvalidInputException("two monitors are named '" + name + "' (or one takes the hub's name); "
                        + "give each monitor a unique name");
            }
            MonitorLane lane = new MonitorLane(m, b.laneCapacity, slowNanos, alerts::publish);
            ls.add(lane);
            names.put(name, lane);
        }
        this.lanes = List.copyOf(ls);
        this.byName = Map.copyOf(names);
        List<AlertRule> r = new ArrayList<>(b.rules);
        if (b.defaultAlerts) {
            for (Monitor m : b.monitors) {
                if (m instanceof DefaultAlerts d) {
                    r.addAll(d.defaultAlerts());
                }
            }
            r.add(AlertRule.above(NAME, "monitor_errors_total", 0));
        }
        this.alerts.setRules(r);
        lanes.forEach(MonitorLane::start);
        this.dispatcher = new Thread(this::dispatch, "keel-monitor-hub");
        dispatcher.setDaemon(true);
        dispatcher.start();
        if (!b.alertInterval.isZero()) {
            alertTimer = Executors.newSingleThreadScheduledExecutor(r2 -> {
                Thread t = new Thread(r2, "keel-monitor-alerts");
                t.setDaemon(true);
                return t;
            });
            long ms = b.alertInterval.toMillis();
            alertTimer.scheduleWithFixedDelay(this::checkAlertsQuietly, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            alertTimer = null;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A hub with every monitor ServiceLoader finds, configured from {@code keel.monitor.*} system properties. */
    public static MonitorHub withDefaults() {
        return builder().discover(MonitorConfig.fromSystemProperties()).build();
    }

    /** Never blocks and never throws: a full queue drops the event and counts it. */
    @Override
    public void onInference(InferenceEvent event) {
        if (Thread.currentThread() instanceof MonitorLane.LaneThread) {
            // a monitor calling a model (embedding drift, perplexity) must not feed its own calls back in
            selfEvents.increment();
            return;
        }
        if (event == null || closed || !inbox.offer(event)) {
            dropped.increment();
            return;
        }
        accepted.increment();
    }

    /** Routes what a user said about an inference to every monitor; false when it had to be dropped. */
    public boolean feedback(Feedback feedback) {
        if (feedback == null) {
            throw new InvalidInputException("feedback is null; build one with Feedback.thumbsUp(id) or Feedback.label(id, label)");
        }
        if (closed || !inbox.offer(feedback)) {
            dropped.increment();
            return false;
        }
        accepted.increment();
        feedbackAccepted.increment();
        return true;
    }

    /**
     * Shows the figures of a component that hears calls on its own (the inference log: it must see every call,
     * not the hub's sample) beside the monitors': its snapshot joins {@link #snapshots()}, so reports, metrics
     * and alert rules ({@code capture/capture_dropped_total > 0}) see it, but the hub sends it no events and
     * does not close it.
     */
    public void addReporter(Monitor reporter) {
        if (reporter == null) {
            throw new InvalidInputException("reporter is null");
        }
        String name = reporter.name();
        if (byName.containsKey(name) || NAME.equals(name) || reporters.stream().anyMatch(r -> r.name().equals(name))) {
            throw new InvalidInputException("a monitor or reporter named '" + name + "' is already in the hub; give "
                    + "each a unique name");
        }
        reporters.add(reporter);
    }

    public List<String> monitorNames() {
        return List.copyOf(byName.keySet());
    }

    public Optional<Monitor> monitor(String name) {
        return Optional.ofNullable(byName.get(name)).map(l -> l.monitor);
    }

    /** The registered monitor of a type, for calls beyond the Monitor interface (reference data, probes). */
    public <T extends Monitor> Optional<T> monitor(Class<T> type) {
        return lanes.stream().map(l -> l.monitor).filter(type::isInstance).map(type::cast).findFirst();
    }

    /** Every monitor's snapshot, then the hub's own; a monitor whose snapshot throws is left out and counted. */
    public List<MonitorSnapshot> snapshots() {
        List<MonitorSnapshot> out = new ArrayList<>();
        for (MonitorLane lane : lanes) {
            try {
                MonitorSnapshot s = lane.monitor.snapshot();
                if (s != null) {
                    out.add(s);
                }
            } catch (RuntimeException | LinkageError | AssertionError e) {
                lane.failed(e, "snapshot");
            }
        }
        for (Monitor r : reporters) {
            try {
                MonitorSnapshot s = r.snapshot();
                if (s != null) {
                    out.add(s);
                }
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "reporter " + r.name() + " failed to report: " + e);
            }
        }
        out.add(snapshot());
        return out;
    }

    /** The hub's own figures: accepted, dropped, per-monitor errors, slow calls and drops. */
    public MonitorSnapshot snapshot() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("events_accepted_total", (double) accepted.sum());
        v.put("events_dropped_total", (double) dropped.sum());
        v.put("feedback_total", (double) feedbackAccepted.sum());
        v.put("feedback_unmatched_total", (double) feedbackUnmatched.sum());
        v.put("monitor_own_events_ignored_total", (double) selfEvents.sum());
        v.put("queue_depth", (double) inbox.size());
        long errors = 0;
        Map<String, Object> perMonitor = new LinkedHashMap<>();
        for (MonitorLane lane : lanes) {
            String n = lane.monitor.name();
            v.put(n + "_errors_total", (double) lane.errors.sum());
            v.put(n + "_slow_calls_total", (double) lane.slow.sum());
            v.put(n + "_dropped_total", (double) lane.dropped.sum());
            errors += lane.errors.sum();
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("processed", lane.processed.get());
            d.put("errors", lane.errors.sum());
            d.put("slow_calls", lane.slow.sum());
            d.put("dropped", lane.dropped.sum());
            d.put("max_call_seconds", lane.maxCallNanos / 1e9);
            if (lane.lastError != null) {
                d.put("last_error", lane.lastError);
            }
            perMonitor.put(n, d);
        }
        v.put("monitor_errors_total", (double) errors);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("monitors", perMonitor);
        details.put("rules", alerts.rules().stream().map(AlertRule::toString).toList());
        details.put("alerts", alerts.alerts().stream().map(a -> a.raised() + " " + a.message()).toList());
        if (!constructionErrors.isEmpty()) {
            details.put("construction_errors", constructionErrors);
        }
        return new MonitorSnapshot(NAME, Instant.now(), v, details);
    }

    public List<AlertRule> rules() {
        return alerts.rules();
    }

    /** The most recent alerts, oldest first. */
    public List<Alert> alerts() {
        return alerts.alerts();
    }

    public void addAlertListener(AlertListener listener) {
        alerts.addListener(listener);
    }

    /** Evaluates every rule now; returns the alerts raised by this check (values that newly crossed). */
    public List<Alert> checkAlerts() {
        return alerts.check(snapshots());
    }

    private void checkAlertsQuietly() {
        try {
            checkAlerts();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "alert check failed: " + e);
        }
    }

    /** Items waiting in the hub's queue and in the fullest monitor lane; cheap enough to poll. */
    public int backlog() {
        int lane = 0;
        for (MonitorLane l : lanes) {
            lane = Math.max(lane, l.queue.size());
        }
        return inbox.size() + lane;
    }

    /**
     * Waits until everything accepted so far has reached every monitor (or was dropped by a full lane).
     * For tests, reports and shutdown; inference never waits.
     */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (idle()) {
                return true;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return idle();
    }

    private boolean idle() {
        if (dispatched.get() < accepted.sum() || !inbox.isEmpty()) {
            return false;
        }
        for (MonitorLane lane : lanes) {
            if (lane.processed.get() + lane.dropped.sum() < lane.offered.get()) {
                return false;
            }
        }
        return true;
    }

    private void dispatch() {
        List<Object> batch = new ArrayList<>(1024);
        while (!closed || !inbox.isEmpty()) {
            inbox.drainTo(batch, 1024);
            if (batch.isEmpty()) {
                // sleep instead of waiting on the queue: an offer then never wakes a thread, so a burst of calls
                // costs the callers no context switches and the monitors see it in one batch
                LockSupport.parkNanos(dispatchNanos);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                continue;
            }
            try {
                for (Object item : batch) {
                    route(item);
                    dispatched.incrementAndGet();
                }
            } catch (RuntimeException e) {
                // routing is Keel's own code; a bug there must not kill monitoring for the rest of the process
                LOG.log(System.Logger.Level.ERROR, "monitor dispatch failed", e);
                dispatched.set(accepted.sum() - inbox.size());
            }
            batch.clear();
        }
    }

    private void route(Object item) {
        Object delivered = item;
        if (item instanceof InferenceEvent e) {
            recent.put(e);
        } else if (item instanceof Feedback f) {
            InferenceEvent matched = recent.get(FeedbackJoin.inferenceId(f.inferenceId()));
            if (matched == null) {
                feedbackUnmatched.increment();
            }
            delivered = new JoinedFeedback(f, matched, FeedbackJoin.item(f.inferenceId()));
        }
        for (MonitorLane lane : lanes) {
            lane.offer(delivered);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        awaitIdle(Duration.ofSeconds(2));
        closed = true;
        if (alertTimer != null) {
            alertTimer.shutdownNow();
        }
        dispatcher.interrupt();
        for (MonitorLane lane : lanes) {
            lane.stop();
            try {
                lane.monitor.close();
            } catch (Exception | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "monitor " + lane.monitor.name() + " failed to close: " + e);
            }
        }
    }

    public static final class Builder {
        private final List<Monitor> monitors = new ArrayList<>();
        private final List<AlertRule> rules = new ArrayList<>();
        private final List<AlertListener> alertListeners = new ArrayList<>();
        private final Map<String, String> constructionErrors = new LinkedHashMap<>();
        private final List<MonitorConfig> discovered = new ArrayList<>();
        private int capacity = 65_536;
        private int laneCapacity = 16_384;
        private int recentInferences = 50_000;
        private Duration slowCall = Duration.ofMillis(100);
        private Duration alertInterval = Duration.ofSeconds(10);
        private Duration dispatchInterval = Duration.ofMillis(10);
        private boolean defaultAlerts = true;

        public Builder monitor(Monitor m) {
            if (m == null) {
                throw new InvalidInputException("monitor is null");
            }
            monitors.add(m);
            return this;
        }

        public Builder monitors(Collection<? extends Monitor> ms) {
            ms.forEach(this::monitor);
            return this;
        }

        /**
         * Adds every monitor registered in {@code META-INF/services/dev.keel.api.monitor.Monitor}. ServiceLoader
         * requires a public no-argument constructor of every listed class; one that also has a public
         * {@code (MonitorConfig)} constructor is built with that and {@code config}. {@code disabled=name,...} in
         * the config leaves monitors out. A monitor that fails to construct (or that ServiceLoader refuses, such
         * as one without a public no-argument constructor) is left out and named in the hub snapshot; a bad
         * setting is an error.
         */
        public Builder discover(MonitorConfig config) {
            discovered.add(config);
            MonitorDiscovery.discover(ServiceLoader.load(Monitor.class), config, constructionErrors)
                    .forEach(this::monitor);
            return this;
        }

        /** Events waiting for the dispatcher before new ones are dropped (default 65,536). */
        public Builder capacity(int v) {
            if (v <= 0) {
                throw new InvalidInputException("hub capacity must be positive, got " + v);
            }
            capacity = v;
            return this;
        }

        /** Events waiting for one monitor before that monitor's are dropped (default 16,384). */
        public Builder laneCapacity(int v) {
            if (v <= 0) {
                throw new InvalidInputException("lane capacity must be positive, got " + v);
            }
            laneCapacity = v;
            return this;
        }

        /** How many recent inferences feedback can still be joined to (default 50,000). */
        public Builder recentInferences(int v) {
            if (v <= 0) {
                throw new InvalidInputException("recent inference index size must be positive, got " + v);
            }
            recentInferences = v;
            return this;
        }

        /** A monitor call longer than this is counted as slow and reported once (default 100 ms). */
        public Builder slowCall(Duration v) {
            slowCall = v;
            return this;
        }

        /**
         * How long the dispatcher sleeps when its queue is empty (default 10 ms): monitors see events up to
         * this late, and callers never pay for waking a thread.
         */
        public Builder dispatchInterval(Duration v) {
            dispatchInterval = v;
            return this;
        }

        /** How often rules are checked in the background; zero checks only on {@link MonitorHub#checkAlerts()}. */
        public Builder alertInterval(Duration v) {
            alertInterval = v;
            return this;
        }

        public Builder alert(AlertRule rule) {
            rules.add(rule);
            return this;
        }

        /** A rule as text, {@code monitor/metric > limit}. */
        public Builder alert(String rule) {
            return alert(AlertRule.parse(rule));
        }

        public Builder alertListener(AlertListener l) {
            alertListeners.add(l);
            return this;
        }

        /** Whether the monitors' own default rules (four-fifths rule, dataset drift, ...) apply (default true). */
        public Builder defaultAlerts(boolean v) {
            defaultAlerts = v;
            return this;
        }

        /**
         * @throws InvalidInputException when a configuration given to {@link #discover} holds a key that no monitor
         *         read (a misspelled {@code keel.monitor.*} setting), naming it and the closest known key
         */
        public MonitorHub build() {
            for (MonitorConfig c : discovered) {
                c.requireAllRead();
            }
            return new MonitorHub(this);
        }
    }
}
