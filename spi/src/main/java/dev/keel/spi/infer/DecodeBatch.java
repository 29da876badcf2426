package dev.keel.spi.infer;

import dev.keel.api.monitor.InferenceListener;
import java.util.List;

/**
 * Sequences decoded together, one token each per {@link #step}: what a session with {@link StepDecoding}
 * gives a continuous-batching driver. A sequence is known by a key the driver chooses (compared with
 * {@code equals}). Not thread-safe: one driver thread calls a batch at a time, except {@link #read}, which
 * any thread may call meanwhile.
 */
public interface DecodeBatch extends AutoCloseable {
    /** Positions one sequence may hold (the model's {@code n_positions}). */
    int context();

    /** Sequences in the batch. */
    int size();

    /**
     * Reads a new sequence's tokens (1 to {@link #context()}) into a cache of its own and adds it to the
     * batch; returns the next-token logits after its last token.
     */
    float[] add(Object key, int[] tokens);

    /**
     * Tokens read ahead, on an empty cache, for a later {@link #add(Object, Read)} of this batch: the engine's part
     * of a join (or of a slide's join again), done away from the driver thread.
     */
    interface Read {
        /** The tokens that were read. */
        int[] tokens();
    }

    /** A {@link Read} of a batch that does not read ahead: its add reads the tokens itself. */
    record Unread(int[] tokens) implements Read { }

    /**
     * Whether {@link #read} does the engine's work itself, so that calling it on another thread than the driver's
     * (the server's helper re-reads slid windows so) takes that work off the steps. False: {@link #read}
     * only holds the tokens. A batch that reads ahead lets a sliding sequence leave and join again: a driver may
     * {@link #remove} it and {@link #add(Object, Read)} its re-read window instead of calling {@link #reread}.
     */
    default boolean readsAhead() {
        return false;
    }

    /**
     * Reads {@code tokens} (1 to {@link #context()}) on an empty cache without touching the batch, for a later
     * {@link #add(Object, Read)}. Unlike every other
     * method, safe to call on any thread, also while the driver steps the batch; the result may be used once.
     * The default reads nothing ({@link Unread}).
     */
    default Read read(int[] tokens) {
        return new Unread(tokens.clone());
    }

    /** {@link #add(Object, int[])} with tokens {@link #read} ahead: the batch only takes in their cache. */
    default float[] add(Object key, Read read) {
        return add(key, read.tokens());
    }

    /**
     * Advances every sequence of the batch by one token in one engine call: {@code tokens[i]} follows
     * sequence {@code keys.get(i)}. {@code keys} must name every sequence of the batch once, in any order.
     * Returns the next-token logits per sequence, in the order of {@code keys}.
     */
    float[][] step(List<?> keys, int[] tokens);

    /**
     * Forgets a sequence's cache and reads {@code tokens} in its place (a {@link SlidingWindow} that slid):
     * {@link #remove} then {@link #add}, unless a batch must keep the sequence where it was (one that spans
     * several model versions keeps it on its version).
     */
    default float[] reread(Object key, int[] tokens) {
        remove(key);
        return add(key, tokens);
    }

    /**
     * Who hears about the generation of sequence {@code key} (in the batch now), when that is not the
     * session's {@link StepDecoding#eventListeners()}: a batch over several model versions answers the
     * listeners of the sequence's version. Null: the session's.
     */
    default List<InferenceListener> eventListeners(Object key) {
        return null;
    }

    /** Drops a sequence and its cache; later steps go on without it. */
    void remove(Object key);

    /** Frees every cache. */
    @Override
    void close();
}
