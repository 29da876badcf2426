package dev.keel.server;

import dev.keel.api.KeelException;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.Generation;
import dev.keel.spi.infer.SlidingWindow;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Continuous batching for one model over a {@link DecodeBatch}, on one stepping thread. A request hands in
 * its generation as a {@link Generation.Decoder} and waits for the outcome; the stepping thread does all the
 * rest: it reads the prompt into the batch (a join, between steps, up to {@code maxBatch} sequences at once;
 * later ones wait their turn), advances every sequence one token per engine call, samples, checks the stops
 * and max tokens, hands the settled text to the generation's listener (which queues it for the client without
 * blocking), slides a full window, and drops a sequence from the batch when it ends, fails or its client went
 * away, so a request joins the running batch at its next step and leaves it when it ends.
 *
 * <p>Why one thread does it all: on a small model a step costs well under a millisecond, and waking every
 * sequence's request thread once per step (to sample and write) cost more than the step. Now a request
 * thread wakes at most twice per generation (picked up, ended), whatever its length.
 *
 * <p>Who steps: one thread at a time ({@code stepping}). A request that finds no one stepping steps the batch
 * itself until its own generation ends (so a lone request pays no thread hand-off at all), taking in whoever
 * joins meanwhile, and then hands what is left to the model's stepping thread, which runs while there is work.
 *
 * <p>Slides off the steps: when the batch {@linkplain DecodeBatch#readsAhead() reads ahead} (onnx), a sequence
 * whose window slides while others decode has its window re-read by a helper thread: it leaves the batch
 * meanwhile (its cache is full) and joins again with the re-read, so the steps go on without it for the one or
 * two steps the read takes. Why: on a small model a 32-token re-read costs as much as two steps of 16 rows, and
 * on the stepping thread it stalled every sequence; another core does it alongside. A sequence alone re-reads
 * inline (there is nothing to stall). Prompts are still read on the stepping thread: read on each request's
 * own thread they competed with the steps for the cores and measured slower (session 5, docs/benchmarks.md).
 */
final class DecodeLoop implements AutoCloseable {
    /** One generation handed to the loop: driven by the stepping thread, awaited by its request thread. */
    final class Ticket {
        private final Generation.Decoder decoder;
        private final SlidingWindow window;
        private final BooleanSupplier cancelled;
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile boolean abandoned;
        private volatile RuntimeException failure;
        /** The token the next step feeds (stepping thread only). */
        private int next;
        /** Whether its request thread steps the batch until it ends (no one was stepping when it came). */
        private boolean leads;
        /** Who hears about this generation when not the session's listeners (set when it joins). */
        private volatile List<InferenceListener> listeners;
        /** Whether a helper re-reads its slid window now, so steps skip it (stepping thread only). */
        private boolean rereading;

        private Ticket(Generation.Decoder decoder, int context, BooleanSupplier cancelled) {
            this.decoder = decoder;
            this.window = SlidingWindow.policy(context);
            this.cancelled = cancelled;
        }

        /**
         * Waits for the generation's end and returns its outcome, or throws what ended it. An interrupt
         * abandons the generation (it leaves the batch at the next step) and throws {@link CancellationException}.
         */
        Generation.Outcome await() {
            if (leads) {
                leads = false;
                drive(this);
            }
            try {
                ended.await();
            } catch (InterruptedException e) {
                abandoned = true;
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted while generating");
            }
            if (failure != null) {
                throw failure;
            }
            return decoder.outcome();
        }

        /** The listeners its batch named for it (a batch over several model versions), or null: the session's. */
        List<InferenceListener> listeners() {
            return listeners;
        }

        private boolean cancelled() {
            return abandoned || cancelled.getAsBoolean();
        }

        private void fail(RuntimeException e) {
            failure = e;
            ended.countDown();
        }

        @Override
        public String toString() {
            return "sequence@" + Integer.toHexString(System.identityHashCode(this));
        }
    }

    private final DecodeBatch batch;
    private final int maxBatch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    /** Signalled when a stepper stops stepping. */
    private final Condition released = lock.newCondition();
    private final ArrayDeque<Ticket> joins = new ArrayDeque<>();
    /** Slid windows a helper has re-read, to take in at the next step (guarded by {@code lock}). */
    private final ArrayDeque<Reread> rereads = new ArrayDeque<>();
    /** Reads running off the stepping thread, which {@link #close} waits for (guarded by {@code lock}). */
    private int reading;
    /** Signalled when a read off the stepping thread ends or a sequence comes to join. */
    private final Condition progress = lock.newCondition();
    /** The helper that re-reads slid windows; null when the batch does not read ahead. */
    private final ExecutorService rereader;
    /** Sequences in the batch (stepping thread only). */
    private final List<Ticket> members = new ArrayList<>();
    private final Thread stepper;
    private boolean closed;
    /**
     * Whether a thread is stepping the batch now (guarded by {@code lock}; the stepper alone touches
     * {@code members}).
     */
    private boolean stepping;
    private volatile int running;
    private volatile long stepCount;
    private volatile long stepRows;
    private volatile long rereadsAside;

    /** A slid window read by the helper: the read, or what failed. */
    private record Reread(Ticket ticket, DecodeBatch.Read read, RuntimeException failure) { }

    DecodeLoop(String name, DecodeBatch batch, int maxBatch) {
        this.batch = batch;
        this.maxBatch = maxBatch;
        this.rereader = batch.readsAhead() ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "keel-decode-read-" + name);
            t.setDaemon(true);
            return t;
        }) : null;
        this.stepper = new Thread(this::loop, "keel-decode-" + name);
        stepper.setDaemon(true);
        stepper.start();
    }

    int context() {
        return batch.context();
    }

    /** Sequences decoding now. */
    int running() {
        return running;
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
        long steps = stepCount;
        return steps == 0 ? 0 : (double) stepRows / steps;
    }

    /**
     * Hands a generation to the loop; it joins the batch at the next step. Its listener is called on the
     * stepping thread and must not block. Once {@code cancelled} says so, the generation leaves the batch and
     * ends with {@link CancellationException}. Call {@link Ticket#await()} next, on the same thread: when no
     * one was stepping, that thread steps the batch until its generation ends.
     */
    Ticket submit(Generation.Decoder decoder, BooleanSupplier cancelled) {
        Ticket t = new Ticket(decoder, batch.context(), cancelled);
        if (decoder.done()) {
            t.ended.countDown(); // nothing to decode (max tokens 0)
            return t;
        }
        lock.lock();
        try {
            if (closed) {
                throw shuttingDown();
            }
            joins.add(t);
            progress.signalAll();
            if (!stepping) {
                stepping = true;
                t.leads = true;
            }
        } finally {
            lock.unlock();
        }
        return t;
    }

    /** Counts a re-read off the stepping thread (so close waits for it), or refuses one once closing. */
    private void startReading() {
        lock.lock();
        try {
            if (closed) {
                throw shuttingDown();
            }
            reading++;
        } finally {
            lock.unlock();
        }
    }

    private void doneReading() {
        lock.lock();
        try {
            reading--;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static KeelException shuttingDown() {
        return new KeelException("the model is shutting down; retry on another replica");
    }

    /** The stepping thread: steps while there is work and no request thread does. */
    private void loop() {
        while (true) {
            lock.lock();
            try {
                while (!closed && (stepping || (joins.isEmpty() && members.isEmpty()))) {
                    work.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                stepping = true;
            } finally {
                lock.unlock();
            }
            drive(null);
        }
    }

    /**
     * Steps the batch (the caller holds {@code stepping}) until {@code until} has ended, or, for the stepping
     * thread ({@code until} null), until no work is left; then lets go, waking the stepping thread if work is left.
     */
    private void drive(Ticket until) {
        boolean letGo = false;
        try {
            while (true) {
                List<Ticket> joining = new ArrayList<>();
                List<Reread> reread = new ArrayList<>();
                lock.lock();
                try {
                    boolean idle = joins.isEmpty() && members.isEmpty();
                    if (closed || (until != null ? until.ended.getCount() == 0 : idle)) {
                        release(!idle);
                        letGo = true;
                        return;
                    }
                    while ((joins.isEmpty() || members.size() >= maxBatch) && rereads.isEmpty() && !members.isEmpty()
                            && !anyActive() && !closed) {
                        progress.awaitUninterruptibly(); // every sequence waits for its re-read: nothing to step
                    }
                    reread.addAll(rereads);
                    rereads.clear();
                    while (!joins.isEmpty() && members.size() + joining.size() < maxBatch) {
                        joining.add(joins.poll());
                    }
                } finally {
                    lock.unlock();
                }
                for (Reread r : reread) {
                    takeIn(r);
                }
                for (Ticket t : joining) {
                    join(t);
                }
                step();
            }
        } finally {
            if (!letGo) {
                lock.lock();
                try {
                    release(true);
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Stops stepping (lock held); the stepping thread takes over when work is left. */
    private void release(boolean workLeft) {
        stepping = false;
        if (workLeft) {
            work.signal();
        }
        released.signalAll();
    }

    private void join(Ticket t) {
        if (t.cancelled()) {
            t.fail(new CancellationException("the client went away"));
            return;
        }
        try {
            float[] logits = batch.add(t, t.window.start(t.decoder.prompt()));
            members.add(t);
            t.listeners = batch.eventListeners(t);
            running = members.size();
            advance(t, logits);
        } catch (RuntimeException e) {
            leave(t, e);
        }
    }

    /** One engine call for every member, then each member's sampling, stops and text. */
    private void step() {
        for (Ticket t : new ArrayList<>(members)) {
            if (t.cancelled()) {
                leave(t, new CancellationException("the client went away"));
            }
        }
        if (!anyActive()) {
            return;
        }
        List<Ticket> keys = new ArrayList<>(members.size());
        for (Ticket t : members) {
            if (!t.rereading) { // out of the batch until its re-read is in
                keys.add(t);
            }
        }
        int[] tokens = new int[keys.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = keys.get(i).next;
        }
        float[][] logits;
        try {
            logits = batch.step(keys, tokens);
        } catch (RuntimeException e) {
            // the batch's caches may be half-advanced: every sequence in it fails and leaves
            keys.forEach(t -> leave(t, e));
            return;
        }
        stepCount++;
        stepRows += keys.size();
        for (int i = 0; i < logits.length; i++) {
            Ticket t = keys.get(i);
            try {
                advance(t, logits[i]);
            } catch (RuntimeException e) {
                leave(t, e);
            }
        }
    }

    /** Samples from {@code logits} and queues the token for the next step, sliding the window when it is full. */
    private void advance(Ticket t, float[] logits) {
        while (true) {
            int next = t.decoder.accept(logits);
            if (next < 0) {
                leave(t, null);
                return;
            }
            int[] read = t.window.push(next);
            if (read == null) {
                t.next = next;
                return;
            }
            if (rereader != null && othersActive(t)) {
                rereadAside(t, read);
                return;
            }
            logits = batch.reread(t, read);
        }
    }

    /** Whether a member besides {@code t} is decoding (not waiting for a re-read). */
    private boolean othersActive(Ticket t) {
        for (Ticket m : members) {
            if (m != t && !m.rereading) {
                return true;
            }
        }
        return false;
    }

    /** Whether any member is decoding (stepping thread, or the lock held by the stepping thread). */
    private boolean anyActive() {
        for (Ticket m : members) {
            if (!m.rereading) {
                return true;
            }
        }
        return false;
    }

    /** Slid windows re-read by the helper while the others decoded, so far. */
    long rereadsAside() {
        return rereadsAside;
    }

    /**
     * Has the helper re-read {@code t}'s slid window while the others decode: {@code t} leaves the batch (its full
     * cache has no room for another step) and joins it again with the re-read, staying a member meanwhile.
     */
    private void rereadAside(Ticket t, int[] window) {
        rereadsAside++;
        batch.remove(t);
        t.rereading = true;
        startReading();
        try {
            rereader.execute(() -> {
                Reread done;
                try {
                    done = new Reread(t, batch.read(window), null);
                } catch (RuntimeException e) {
                    done = new Reread(t, null, e);
                }
                lock.lock();
                try {
                    rereads.add(done);
                    reading--;
                    progress.signalAll();
                } finally {
                    lock.unlock();
                }
            });
        } catch (RuntimeException e) { // the helper refused (closing)
            doneReading();
            t.rereading = false;
            leave(t, e);
        }
    }

    /** Takes a re-read window into the batch and goes on decoding its sequence (unless it left meanwhile). */
    private void takeIn(Reread r) {
        Ticket t = r.ticket;
        if (!members.contains(t)) {
            return; // cancelled or failed while its window was re-read; it has ended already
        }
        t.rereading = false;
        if (r.failure != null) {
            leave(t, r.failure);
            return;
        }
        try {
            advance(t, batch.add(t, r.read));
        } catch (RuntimeException e) {
            leave(t, e);
        }
    }

    /** Drops {@code t} from the batch and ends it: with its outcome when {@code failure} is null. */
    private void leave(Ticket t, RuntimeException failure) {
        if (members.remove(t)) {
            running = members.size();
            try {
                batch.remove(t);
            } catch (RuntimeException e) {
                failure = failure != null ? failure : e;
            }
        }
        if (failure != null) {
            t.fail(failure);
        } else {
            t.ended.countDown();
        }
    }

    /** Stops the loop: waiting and running generations fail with a shutting-down error, and the batch is freed. */
    @Override
    public void close() {
        List<Ticket> pending;
        lock.lock();
        try {
            closed = true;
            work.signalAll();
            progress.signalAll();
            while (stepping || reading > 0) {
                if (stepping) {
                    released.awaitUninterruptibly();
                } else {
                    progress.awaitUninterruptibly();
                }
            }
            rereads.clear();
            pending = new ArrayList<>(joins);
            joins.clear();
            pending.addAll(members);
            members.clear();
            running = 0;
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (stepper.isAlive()) {
            try {
                stepper.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        pending.forEach(t -> t.fail(shuttingDown()));
        if (rereader != null) {
            rereader.shutdownNow();
        }
        batch.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
