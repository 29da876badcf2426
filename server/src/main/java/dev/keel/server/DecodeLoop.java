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
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Continuous batching for one model over a {@link DecodeBatch}. Each generation runs the shared generation
 * loop on its own (request) thread through a {@link Sequence}: reading its prompt is a join, each next token
 * a step, the end a leave. A step runs as soon as every sequence in the batch has handed in its next token;
 * newcomers join between steps (up to {@code maxBatch} at once; later ones wait their turn); a sequence that
 * leaves is dropped; so a request joins the running batch at its next step and leaves it when it ends.
 *
 * <p>There is no decoding thread: the request thread whose hand-in makes work possible does it (leader and
 * followers). The last sequence to hand in its token runs the step for everyone, so a lone generation steps
 * on its own thread with no hand-off at all, and a batch of n costs n-1 wake-ups per step instead of 2n.
 * One thread at a time works on the batch ({@code busy}); the lock is not held during engine calls, so the
 * others can queue their next move meanwhile, and a waiting thread parks on its own move (woken by
 * {@link LockSupport#unpark}), so the end of a step does not send the whole batch queueing for the lock.
 */
final class DecodeLoop implements AutoCloseable {
    private enum Kind { JOIN, STEP, LEAVE }

    /** One move of a sequence; done when {@code logits} or {@code failure} is set. */
    private static final class Op {
        final Kind kind;
        final Sequence sequence;
        final int[] tokens;
        float[] logits;
        RuntimeException failure;
        volatile boolean done;
        /** The thread parked until this move is done, woken by whoever does it. */
        Thread waiter;

        Op(Kind kind, Sequence sequence, int[] tokens) {
            this.kind = kind;
            this.sequence = sequence;
            this.tokens = tokens;
        }
    }

    private final DecodeBatch batch;
    private final int maxBatch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Op> joins = new ArrayDeque<>();
    private final List<Op> leaves = new ArrayList<>();
    private final Map<Sequence, Op> steps = new LinkedHashMap<>();
    private final List<Sequence> members = new ArrayList<>();
    private boolean busy;
    private boolean closed;
    private long stepCount;
    private long stepRows;

    DecodeLoop(String name, DecodeBatch batch, int maxBatch) {
        this.batch = batch;
        this.maxBatch = maxBatch;
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
            float[] logits = submit(new Op(joined ? Kind.STEP : Kind.JOIN, this, tokens));
            joined = true;
            return logits;
        }

        private void leave() {
            if (joined) {
                joined = false;
                submit(new Op(Kind.LEAVE, this, null));
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
        boolean locked = true;
        boolean interrupted = false;
        lock.lock();
        try {
            if (closed) {
                throw new KeelException("the model is shutting down; retry on another replica");
            }
            switch (op.kind) {
                case JOIN -> joins.add(op);
                case STEP -> steps.put(op.sequence, op);
                case LEAVE -> leaves.add(op);
                default -> throw new IllegalStateException(op.kind.name());
            }
            op.waiter = Thread.currentThread();
            while (!op.done) {
                if (!busy && workable()) {
                    work();
                    continue;
                }
                // park without the lock, and return without taking it again: after a step the followers wake
                // one by one to their own move instead of queueing for the lock (only a submit can make new
                // work, and a submitter that finds no one busy does it itself, so a parked move just waits)
                lock.unlock();
                locked = false;
                while (!op.done) {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted();
                }
            }
        } finally {
            if (locked) {
                lock.unlock();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (op.failure != null) {
            throw op.failure;
        }
        return op.logits;
    }

    private boolean workable() {
        return !leaves.isEmpty() || (!joins.isEmpty() && members.size() < maxBatch)
                || (!members.isEmpty() && steps.size() == members.size());
    }

    /** Does every move that can be done now, as the one thread on the batch; called and returns with the lock held. */
    private void work() {
        busy = true;
        try {
            while (workable() && !closed) {
                List<Op> leaving = new ArrayList<>(leaves);
                leaves.clear();
                for (Op leave : leaving) {
                    members.remove(leave.sequence);
                    steps.remove(leave.sequence);
                }
                List<Op> joining = new ArrayList<>();
                while (!joins.isEmpty() && members.size() + joining.size() < maxBatch) {
                    joining.add(joins.poll());
                }
                lock.unlock();
                try {
                    for (Op leave : leaving) {
                        run(leave, () -> {
                            batch.remove(leave.sequence);
                            return null;
                        });
                    }
                    for (Op join : joining) {
                        run(join, () -> batch.add(join.sequence, join.tokens));
                    }
                } finally {
                    lock.lock();
                }
                for (Op join : joining) {
                    if (join.failure == null) {
                        members.add(join.sequence);
                    }
                }
                if (!members.isEmpty() && steps.size() == members.size()) {
                    List<Op> stepping = new ArrayList<>(steps.values());
                    steps.clear();
                    stepCount++;
                    stepRows += stepping.size();
                    lock.unlock();
                    try {
                        step(stepping);
                    } finally {
                        lock.lock();
                    }
                    for (Op op : stepping) {
                        if (op.failure != null) {
                            members.remove(op.sequence);
                        }
                    }
                }
                finish(leaving);
                finish(joining);
            }
        } finally {
            busy = false;
            changed.signalAll();
        }
    }

    /** Marks moves done and wakes their threads (called with the lock held). */
    private void finish(List<Op> ops) {
        for (Op op : ops) {
            op.done = true;
            if (op.waiter != null && op.waiter != Thread.currentThread()) {
                LockSupport.unpark(op.waiter);
            }
        }
    }

    private void step(List<Op> stepping) {
        List<Sequence> keys = new ArrayList<>(stepping.size());
        int[] tokens = new int[stepping.size()];
        for (int i = 0; i < tokens.length; i++) {
            keys.add(stepping.get(i).sequence);
            tokens[i] = stepping.get(i).tokens[0];
        }
        try {
            float[][] logits = batch.step(keys, tokens);
            for (int i = 0; i < stepping.size(); i++) {
                stepping.get(i).logits = logits[i];
            }
        } catch (RuntimeException e) {
            // the batch's caches may be half-advanced: every sequence in it fails and leaves
            for (Sequence s : keys) {
                batch.remove(s);
            }
            stepping.forEach(op -> op.failure = e);
        }
        lock.lock();
        try {
            finish(stepping);
        } finally {
            lock.unlock();
        }
    }

    private interface Body {
        float[] run();
    }

    private static void run(Op op, Body body) {
        try {
            op.logits = body.run();
        } catch (RuntimeException e) {
            op.failure = e;
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            KeelException stopped = new KeelException("the model is shutting down; retry on another replica");
            List<Op> pending = new ArrayList<>(joins);
            pending.addAll(steps.values());
            pending.forEach(op -> op.failure = stopped);
            pending.addAll(leaves);
            finish(pending);
            joins.clear();
            steps.clear();
            leaves.clear();
            while (busy) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        batch.close();
    }
}
