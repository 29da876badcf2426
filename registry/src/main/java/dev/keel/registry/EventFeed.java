package dev.keel.registry;

import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.RegistryEvent;
import dev.keel.api.iterate.RegistryListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Delivers registry events to subscribers from the event table, so a listener hears about changes made by
 * any process sharing the registry, in commit order, each once. One daemon thread per registry polls (every
 * poll interval, and at once after a write of this process); it starts with the first subscription.
 */
final class EventFeed implements AutoCloseable {
    private static final int BATCH = 256;

    private final ModelRegistry registry;
    private final Duration interval;
    private final List<Sub> subs = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final AtomicLong failures = new AtomicLong();
    private boolean woken;
    private volatile boolean closed;
    private Thread thread;

    EventFeed(ModelRegistry registry, Duration interval) {
        this.registry = registry;
        this.interval = interval;
    }

    private final class Sub implements ModelRegistry.Subscription {
        private final RegistryListener listener;
        private long cursor;
        private volatile boolean active = true;

        Sub(long cursor, RegistryListener listener) {
            this.cursor = cursor;
            this.listener = listener;
        }

        @Override
        public void close() {
            active = false;
            subs.remove(this);
        }
    }

    ModelRegistry.Subscription subscribe(long after, RegistryListener listener) {
        Sub sub = new Sub(Math.max(0, after), listener);
        subs.add(sub);
        lock.lock();
        try {
            if (thread == null && !closed) {
                thread = new Thread(this::run, "keel-registry-events");
                thread.setDaemon(true);
                thread.start();
            }
        } finally {
            lock.unlock();
        }
        wake();
        return sub;
    }

    void wake() {
        lock.lock();
        try {
            woken = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    long failures() {
        return failures.get();
    }

    private void run() {
        while (!closed) {
            for (Sub sub : subs) {
                deliver(sub);
            }
            lock.lock();
            try {
                if (!woken && !closed) {
                    wake.await(interval.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                }
                woken = false;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
        }
    }

    private void deliver(Sub sub) {
        try {
            List<RegistryEvent> batch;
            do {
                batch = registry.events(sub.cursor, BATCH);
                for (RegistryEvent e : batch) {
                    if (!sub.active || closed) {
                        return;
                    }
                    try {
                        sub.listener.onEvent(e);
                    } catch (RuntimeException listenerFailed) {
                        failures.incrementAndGet();
                    }
                    sub.cursor = e.sequence();
                }
            } while (batch.size() == BATCH);
        } catch (RuntimeException databaseUnavailable) {
            // the database is unreachable for now (a restarting server): the next poll tries again
            failures.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
        wake();
        Thread t;
        lock.lock();
        try {
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
