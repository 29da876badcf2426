package dev.keel.spi.infer;

import java.util.List;

/**
 * Sequences decoded together, one token each per {@link #step}: what a session with {@link StepDecoding}
 * gives a continuous-batching driver. A sequence is known by a key the driver chooses (compared with
 * {@code equals}). Not thread-safe: one driver thread calls a batch at a time.
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
     * Advances every sequence of the batch by one token in one engine call: {@code tokens[i]} follows
     * sequence {@code keys.get(i)}. {@code keys} must name every sequence of the batch once, in any order.
     * Returns the next-token logits per sequence, in the order of {@code keys}.
     */
    float[][] step(List<?> keys, int[] tokens);

    /** Drops a sequence and its cache; later steps go on without it. */
    void remove(Object key);

    /** Frees every cache. */
    @Override
    void close();
}
