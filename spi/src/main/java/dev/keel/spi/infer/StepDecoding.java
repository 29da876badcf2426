package dev.keel.spi.infer;

import dev.keel.api.infer.InferenceSession;
import dev.keel.api.monitor.InferenceListener;
import java.util.List;
import java.util.Optional;

/**
 * An optional capability of a causal-LM session: decoding many sequences together, one token each per engine
 * call, each sequence with its own key/value cache (continuous batching). A driver, such as {@code keel
 * serve}, opens a {@link DecodeBatch}, adds a sequence when its request arrives, advances every sequence one
 * token per step and removes a sequence when it ends, so requests join and leave a running batch. The
 * driver runs the shared {@link Generation} loop, {@link Sampler} and {@link SlidingWindow} for every
 * sequence, which keeps the text the same as {@link InferenceSession#generate} gives for the same request.
 *
 * <p>Because the driver, not the session, runs the generation, it reports each generation itself, as one
 * {@link dev.keel.api.monitor.InferenceEvent} to {@link #eventListeners()}, like the session would.
 */
public interface StepDecoding {
    /** An empty batch over this session's weights; close it to free its caches. */
    DecodeBatch openBatch();

    /** Who hears about this session's inference calls (the session's {@code SessionOptions.listeners}). */
    List<InferenceListener> eventListeners();

    /** The capability of {@code session}, when it has one. */
    static Optional<StepDecoding> of(InferenceSession session) {
        return session instanceof StepDecoding decoding ? Optional.of(decoding) : Optional.empty();
    }
}
