package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.ArrayList;
import java.util.List;
import org.apiguardian.api.API;

/**
 * Generation past the context length, the same on every engine: the model reads the prompt's last
 * {@code context} tokens, then one token per step over its key/value cache; when the window is full it
 * keeps the newer half, forgets its cache and reads that half again. Every backend uses this policy, so a
 * checkpoint gives the same greedy text everywhere however long the output.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class SlidingWindow implements Generation.Stepper {
    /** The engine's side: a model with a key/value cache. */
    public interface CachedModel {
        /** Forgets every cached position. */
        void reset();

        /** Reads {@code tokens} after the cached positions and returns the logits after the last one. */
        float[] feed(int[] tokens);
    }

    private final int context;
    private final CachedModel model;
    private final boolean cached;
    private final List<Integer> window = new ArrayList<>();

    /**
     * @param context the model's positions ({@code n_positions})
     * @param model   the engine
     * @param cached  false re-reads the whole window every step (same tokens, full cost; for comparisons)
     */
    public SlidingWindow(int context, CachedModel model, boolean cached) {
        this.context = context;
        this.model = model;
        this.cached = cached;
    }

    /**
     * The policy alone, for a driver that feeds a cached model itself ({@link #start} and {@link #push});
     * {@link #step} is not available on it.
     */
    public static SlidingWindow policy(int context) {
        return new SlidingWindow(context, null, true);
    }

    @Override
    public float[] step(int[] tokens) {
        if (model == null) {
            throw new IllegalStateException("this window has no model to step (SlidingWindow.policy); use start and push");
        }
        int[] read = window.isEmpty() ? start(tokens) : push(tokens[0]);
        if (read == null) {
            return model.feed(new int[] {tokens[0]});
        }
        model.reset();
        return model.feed(read);
    }

    /**
     * Starts the window on a prompt and returns what the model reads first: the prompt's last {@code context}
     * tokens, on an empty cache. (For a driver that feeds the model itself, as continuous batching does.)
     */
    public int[] start(int[] prompt) {
        window.clear();
        for (int i = Math.max(0, prompt.length - context); i < prompt.length; i++) {
            window.add(prompt[i]);
        }
        return contents();
    }

    /**
     * Appends the next token and says how the model reads it: {@code null} when the token alone goes after
     * the cached positions, else the whole window to read again on an empty cache (the window was full, so it
     * now holds its newer half and the token; or the window is not cached).
     */
    public int[] push(int next) {
        if (window.size() == context) {
            List<Integer> newer = new ArrayList<>(window.subList(context - context / 2, context));
            window.clear();
            window.addAll(newer);
            window.add(next);
            return contents();
        }
        window.add(next);
        return cached ? null : contents();
    }

    private int[] contents() {
        return window.stream().mapToInt(Integer::intValue).toArray();
    }
}
