package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apiguardian.api.API;

/**
 * The one definition of a decoder-only (gpt2) text embedding that every backend shares: the final hidden
 * states after {@code ln_f}, averaged over the text's own tokens (the first
 * {@code min(maxLength, n_positions)}), optionally L2-normalised. Batches are padded on the right; attention
 * is causal, so real tokens never see the padding and no mask is needed, and the padded positions are left
 * out of the mean. A text therefore gets the same vector alone or inside any batch. Texts are grouped by
 * length before batching so short texts do not pay for a long one's padding.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class CausalPooling {
    private CausalPooling() { }

    /** The engine's part: hidden states after {@code ln_f} for equal-length rows, {@code [row][position*width]}. */
    @FunctionalInterface
    public interface HiddenStates {
        float[][] run(int[][] rows);
    }

    /**
     * Tokenizes {@code texts} for embedding, cut to {@code min(maxLength, nPositions)} tokens.
     *
     * @throws InvalidInputException for a null list or text, a non-positive maxLength, or a text with no tokens
     */
    public static int[][] encode(List<String> texts, EmbeddingOptions options, Tokenizer tokenizer, int nPositions) {
        if (texts == null || texts.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidInputException("texts must be a list without nulls");
        }
        if (options == null || options.maxLength() < 1) {
            throw new InvalidInputException("embedding options need maxLength >= 1; got "
                    + (options == null ? "no options" : options.maxLength()) + " (EmbeddingOptions.defaults() uses 256)");
        }
        int limit = Math.min(options.maxLength(), nPositions);
        int[][] out = new int[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            int[] ids = tokenizer.encode(texts.get(i));
            if (ids.length == 0) {
                throw new InvalidInputException("text " + i + " is empty (it encodes to no tokens), and a gpt2 "
                        + "embedding averages the hidden states of the text's tokens; drop empty texts or give "
                        + "each at least one character");
            }
            out[i] = ids.length > limit ? Arrays.copyOf(ids, limit) : ids;
        }
        return out;
    }

    /**
     * Mean-pooled vectors of {@code width} for the encoded texts, in their order, at most {@code maxBatch}
     * rows per engine call.
     */
    public static float[][] pool(int[][] tokens, int width, int maxBatch, boolean normalize, int padId,
            HiddenStates engine) {
        Integer[] order = new Integer[tokens.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> tokens[i].length));
        float[][] out = new float[tokens.length][];
        int batch = Math.max(1, maxBatch);
        for (int start = 0; start < order.length; start += batch) {
            List<Integer> rows = new ArrayList<>(Arrays.asList(order).subList(start, Math.min(order.length, start + batch)));
            int length = tokens[rows.get(rows.size() - 1)].length;
            int[][] padded = new int[rows.size()][length];
            for (int r = 0; r < rows.size(); r++) {
                Arrays.fill(padded[r], padId);
                System.arraycopy(tokens[rows.get(r)], 0, padded[r], 0, tokens[rows.get(r)].length);
            }
            float[][] hidden = engine.run(padded);
            for (int r = 0; r < rows.size(); r++) {
                int n = tokens[rows.get(r)].length;
                double[] sum = new double[width];
                for (int p = 0; p < n; p++) {
                    for (int j = 0; j < width; j++) {
                        sum[j] += hidden[r][p * width + j];
                    }
                }
                float[] v = new float[width];
                for (int j = 0; j < width; j++) {
                    v[j] = (float) (sum[j] / n);
                }
                out[rows.get(r)] = normalize ? normalized(v) : v;
            }
        }
        return out;
    }

    /** {@code v} scaled in place to unit L2 norm (a zero vector stays zero); every backend's embeddings use it. */
    public static float[] normalized(float[] v) {
        double n = 0;
        for (float x : v) {
            n += (double) x * x;
        }
        float inv = (float) (1 / Math.max(Math.sqrt(n), 1e-12));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    /** Tokens across all texts, for the inference event. */
    public static long tokenCount(int[][] tokens) {
        long n = 0;
        for (int[] t : tokens) {
            n += t.length;
        }
        return n;
    }
}
