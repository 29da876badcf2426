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

    @Override
    public float[] step(int[] tokens) {
        if (window.isEmpty()) {
            for (int i = Math.max(0, tokens.length - context); i < tokens.length; i++) {
                window.add(tokens[i]);
            }
            return reread();
        }
        int next = tokens[0];
        if (window.size() == context) {
            List<Integer> newer = new ArrayList<>(window.subList(context - context / 2, context));
            window.clear();
            window.addAll(newer);
            window.add(next);
            return reread();
        }
        window.add(next);
        return cached ? model.feed(new int[] {next}) : reread();
    }

    private float[] reread() {
        model.reset();
        return model.feed(window.stream().mapToInt(Integer::intValue).toArray());
    }
}
