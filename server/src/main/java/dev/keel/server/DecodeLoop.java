package dev.keel.server;

import dev.keel.api.KeelException;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.SlidingWindow;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Continuous batching for one model: a thread that owns a {@link DecodeBatch} and advances every running
 * generation one token per engine call. Each generation runs the shared generation loop on its own (request)
 * thread through a {@link Sequence}: reading its prompt is a join, each next token a step, and the end a leave.
 * The loop steps as soon as every sequence in the batch has handed in its next token, takes newcomers between
 * steps (up to {@code maxBatch} at once; later ones wait their turn), and drops a sequence that leaves, so a
 * request joins the running batch at its next step and leaves it when it ends.
 */
final class DecodeLoop implements AutoCloseable {
    private enum Kind { JOIN, STEP, LEAVE }

    /** One request of a sequence to the loop thread. */
    private record Op(Kind kind, Sequence sequence, int[] tokens, CompletableFuture<float[]> done) { }

    private final DecodeBatch batch;
    private final int maxBatch;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Op> joins = new ArrayDeque<>();
    private final List<Op> leaves = new ArrayList<>();
    private final Map<Sequence, Op> steps = new LinkedHashMap<>();
    private final List<Sequence> members = new ArrayList<>();
    private volatile boolean closed;
    private long stepCount;
    private long stepRows;

    DecodeLoop(String name, DecodeBatch batch, int maxBatch) {
        this.batch = batch;
        this.maxBatch = maxBatch;
        this.thread = new Thread(this::run, "keel-decode-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** A new generation's view of the loop: a model with a key/value cache for the shared sliding window. */
    Sequence sequence(BooleanSupplier cancelled) {
        return new Sequence(cancelled);
    }

    int context() {
        return batch.context();
    }

    /** Sequences decoding now. */
    int running() {
        lock.lock();
        try {
            return members.size();
        } finally {
            lock.unlock();
        }
    }

    /** Sequences waiting to join. */
    int waiting() {
        lock.lock();
        try {
            return joins.size();
        } finally {
            lock.unlock();
        }
    }

    /** Mean sequences per step so far (how full the batch ran). */
    double meanBatch() {
        lock.lock();
        try {
            return stepCount == 0 ? 0 : (double) stepRows / stepCount;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One generation in the loop. Not thread-safe: the generation's own thread calls it. A cancelled sequence
     * fails its next call with {@link CancellationException}, and closing it leaves the batch.
     */
    final class Sequence implements SlidingWindow.CachedModel, AutoCloseable {
        private final BooleanSupplier cancelled;
        private boolean joined;

        private Sequence(BooleanSupplier cancelled) {
            this.cancelled = cancelled;
        }

        @Override
        public void reset() {
            leave();
        }

        @Override
        public float[] feed(int[] tokens) {
            if (cancelled.getAsBoolean()) {
                throw new CancellationException("the client went away");
            }
            float[] logits = submit(new Op(joined ? Kind.STEP : Kind.JOIN, this, tokens, new CompletableFuture<>()));
            joined = true;
            return logits;
        }

        private void leave() {
            if (joined) {
                joined = false;
                submit(new Op(Kind.LEAVE, this, null, new CompletableFuture<>()));
            }
        }

        @Override
        public void close() {
            leave();
        }

        @Override
        public String toString() {
            return "sequence@" + Integer.toHexString(System.identityHashCode(this));
        }
    }

    private float[] submit(Op op) {
        lock.lock();
        try {
            if (closed) {
                throw new KeelException("the model is shutting down; retry on another replica");
            }
            switch (op.kind()) {
                case JOIN -> joins.add(op);
                case STEP -> steps.put(op.sequence(), op);
                case LEAVE -> leaves.add(op);
                default -> throw new IllegalStateException(op.kind().name());
            }
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            return op.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while decoding");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new KeelException(e.getCause().getMessage(), e.getCause());
        }
    }

    private boolean ready() {
        return !leaves.isEmpty() || (!joins.isEmpty() && members.size() < maxBatch)
                || (!members.isEmpty() && steps.size() == members.size());
    }

    private void run() {
        while (true) {
            List<Op> leaving;
            List<Op> joining = new ArrayList<>();
            lock.lock();
            try {
                while (!closed && !ready()) {
                    work.awaitUninterruptibly();
                }
                if (closed) {
                    break;
                }
                leaving = new ArrayList<>(leaves);
                leaves.clear();
                for (Op leave : leaving) {
                    members.remove(leave.sequence());
                    steps.remove(leave.sequence());
                }
                while (!joins.isEmpty() && members.size() + joining.size() < maxBatch) {
                    joining.add(joins.poll());
                }
            } finally {
                lock.unlock();
            }
            for (Op leave : leaving) {
                complete(leave, () -> {
                    batch.remove(leave.sequence());
                    return null;
                });
            }
            for (Op join : joining) {
                boolean added = complete(join, () -> batch.add(join.sequence(), join.tokens()));
                if (added) {
                    lock.lock();
                    try {
                        members.add(join.sequence());
                    } finally {
                        lock.unlock();
                    }
                }
            }
            List<Op> stepping = null;
            lock.lock();
            try {
                if (!members.isEmpty() && steps.size() == members.size()) {
                    stepping = new ArrayList<>(steps.values());
                    steps.clear();
                    stepCount++;
                    stepRows += stepping.size();
                }
            } finally {
                lock.unlock();
            }
            if (stepping != null) {
                step(stepping);
            }
        }
        failPending();
    }

    private void step(List<Op> stepping) {
        List<Sequence> keys = new ArrayList<>(stepping.size());
        int[] tokens = new int[stepping.size()];
        for (int i = 0; i < tokens.length; i++) {
            keys.add(stepping.get(i).sequence());
            tokens[i] = stepping.get(i).tokens()[0];
        }
        float[][] logits;
        try {
            logits = batch.step(keys, tokens);
        } catch (RuntimeException e) {
            // the batch's caches may be half-advanced: every sequence in it fails, and the batch starts empty
            for (Sequence s : keys) {
                batch.remove(s);
            }
            lock.lock();
            try {
                members.removeAll(keys);
            } finally {
                lock.unlock();
            }
            stepping.forEach(op -> op.done().completeExceptionally(e));
            return;
        }
        for (int i = 0; i < stepping.size(); i++) {
            stepping.get(i).done().complete(logits[i]);
        }
    }

    private interface Body {
        float[] run();
    }

    private static boolean complete(Op op, Body body) {
        try {
            op.done().complete(body.run());
            return true;
        } catch (RuntimeException e) {
            op.done().completeExceptionally(e);
            return false;
        }
    }

    private void failPending() {
        KeelException stopped = new KeelException("the model is shutting down; retry on another replica");
        lock.lock();
        try {
            joins.forEach(op -> op.done().completeExceptionally(stopped));
            steps.values().forEach(op -> op.done().completeExceptionally(stopped));
            leaves.forEach(op -> op.done().complete(null));
            joins.clear();
            steps.clear();
            leaves.clear();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        batch.close();
    }
}
