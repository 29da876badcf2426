package dev.keel.monitors;

import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One monitor's lane of the hub: its own bounded queue and thread, so a slow monitor only loses its own events
 * and a throwing one only its own calls. Counts what it was offered, processed, dropped, failed on and took too
 * long for, and publishes the first failure and the first slow call as alerts.
 */
final class MonitorLane implements Runnable {
    private static final System.Logger LOG = System.getLogger(MonitorHub.class.getName());

    final Monitor monitor;
    final BlockingQueue<Object> queue;
    final AtomicLong offered = new AtomicLong();
    final AtomicLong processed = new AtomicLong();
    final LongAdder dropped = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder slow = new LongAdder();
    volatile String lastError;
    volatile long maxCallNanos;
    private boolean reportedSlow;
    private final Thread thread;
    private final long slowNanos;
    private final Consumer<Alert> publish;

    MonitorLane(Monitor monitor, int capacity, long slowNanos, Consumer<Alert> publish) {
        this.monitor = monitor;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.slowNanos = slowNanos;
        this.publish = publish;
        this.thread = new LaneThread(this, "keel-monitor-" + monitor.name());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void offer(Object item) {
        offered.incrementAndGet();
        if (!queue.offer(item)) {
            dropped.increment();
        }
    }

    @Override
    public void run() {
        List<Object> batch = new ArrayList<>(64);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, 63);
            for (Object item : batch) {
                deliver(item);
                processed.incrementAndGet();
            }
            batch.clear();
        }
    }

    private void deliver(Object item) {
        long t0 = System.nanoTime();
        try {
            if (item instanceof InferenceEvent e) {
                monitor.onInference(e);
            } else if (item instanceof JoinedFeedback j) {
                if (monitor instanceof FeedbackJoin join) {
                    join.onFeedback(j.feedback(), j.inference(), j.item());
                } else {
                    monitor.onFeedback(j.feedback());
                }
            }
        } catch (RuntimeException | LinkageError | AssertionError | StackOverflowError e) {
            failed(e, "event");
        }
        long took = System.nanoTime() - t0;
        if (took > maxCallNanos) {
            maxCallNanos = took;
        }
        if (took > slowNanos) {
            slow.increment();
            if (!reportedSlow) {
                reportedSlow = true;
                publish.accept(new Alert(MonitorHub.NAME, monitor.name() + "_slow_calls_total", took / 1e9,
                        slowNanos / 1e9, "monitor '" + monitor.name() + "' took " + AlertEngine.format(took / 1e9)
                                + " s on one event (limit " + AlertEngine.format(slowNanos / 1e9) + " s); it only "
                                + "delays itself, events it cannot keep up with are dropped and counted",
                        Instant.now()));
            }
        }
    }

    void failed(Throwable e, String during) {
        errors.increment();
        boolean first = lastError == null;
        lastError = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (first) {
            LOG.log(System.Logger.Level.WARNING, "monitor '" + monitor.name() + "' failed on an " + during
                    + "; it is isolated and its errors are counted", e);
            publish.accept(new Alert(MonitorHub.NAME, monitor.name() + "_errors_total", 1, 0,
                    "monitor '" + monitor.name() + "' threw " + lastError + " during " + during
                            + "; inference is unaffected, its failures are counted in the hub snapshot",
                    Instant.now()));
        }
    }

    void stop() {
        thread.interrupt();
    }

    /** The thread a lane runs on; the hub ignores calls a monitor makes from it (they are its own). */
    static final class LaneThread extends Thread {
        LaneThread(Runnable r, String name) {
            super(r, name);
        }
    }
}
