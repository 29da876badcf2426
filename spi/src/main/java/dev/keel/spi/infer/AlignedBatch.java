package dev.keel.spi.infer;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bookkeeping of a {@link DecodeBatch} whose caches are kept as one right-aligned tensor per layer,
 * {@code [batch, heads, length, head_size]}: every sequence's newest position is the last column, and a
 * shorter sequence is padded on the left. A step then appends one column for the whole batch in one engine
 * call, with each row's left padding masked out of attention and subtracted from its positions. A sequence
 * joins with a cache of its own (its prompt read alone), padded to the batch's length (or the batch padded
 * to its length); a leaving sequence's row is dropped and columns that only held padding are cut.
 * Backends supply the tensor operations; the row order, padding and lengths live here once.
 *
 * <p>Masked positions get a weight of exactly zero after the softmax, so a sequence's logits in a batch
 * equal its logits alone up to the rounding of batched matrix products.
 *
 * @param <C> the backend's cache: every layer's keys and values for some rows
 */
public abstract class AlignedBatch<C> implements DecodeBatch {
    /** A run's logits after each row's last token, and the cache with the run's columns appended. */
    public record Stepped<C>(float[][] logits, C cache) { }

    private final int context;
    private final List<Object> keys = new ArrayList<>();
    private final Map<Object, Integer> rowOf = new HashMap<>();
    private int[] padding = new int[0];
    private int length;
    private C cache;

    protected AlignedBatch(int context) {
        this.context = context;
    }

    /**
     * One engine run of equal-length rows of tokens after {@code past} ({@code length} columns; null: no past,
     * a sequence read alone). With {@code leftPadding} (null: none), row {@code r}'s first
     * {@code leftPadding[r]} columns are padding to mask, and its tokens' positions start at
     * {@code length - leftPadding[r]}. The returned cache may be {@code past} itself, grown.
     */
    protected abstract Stepped<C> run(int[][] tokens, C past, int length, int[] leftPadding);

    /**
     * The rows {@code rows} of {@code cache} (which has {@code length} columns), in that order, each
     * right-aligned in {@code newLength} columns: zero columns added on the left, or the leftmost dropped.
     */
    protected abstract C realign(C cache, int length, int[] rows, int newLength);

    /** The rows of {@code first} then those of {@code second} (both {@code length} columns). */
    protected abstract C concat(C first, C second, int length);

    /** Frees a cache this batch no longer uses. */
    protected abstract void free(C cache);

    /**
     * Whether {@link #overwrite} works on this backend's caches, so that a sequence whose window slid is read
     * again into its own row instead of leaving the batch and joining again (each a copy of the whole batch's
     * caches).
     */
    protected boolean overwrites() {
        return false;
    }

    /**
     * Writes {@code rowCache} (one row, {@code rowLength} columns) into row {@code row} of {@code cache}
     * ({@code length >= rowLength} columns), right-aligned, in place; the columns on its left keep what they held
     * (they become padding, masked out). Only called when {@link #overwrites()}.
     */
    protected void overwrite(C cache, int length, int row, C rowCache, int rowLength) {
        throw new UnsupportedOperationException("this batch cannot write a row of its caches in place");
    }

    @Override
    public final int context() {
        return context;
    }

    @Override
    public final int size() {
        return keys.size();
    }

    @Override
    public final float[] add(Object key, int[] tokens) {
        if (rowOf.containsKey(key)) {
            throw new IllegalStateException("sequence " + key + " is already in the batch; remove it first");
        }
        if (tokens == null || tokens.length == 0 || tokens.length > context) {
            throw new InvalidInputException("a sequence joins with 1 to " + context + " tokens, got "
                    + (tokens == null ? 0 : tokens.length));
        }
        Stepped<C> alone = run(new int[][] {tokens}, null, 0, null);
        int p = tokens.length;
        if (keys.isEmpty()) {
            cache = alone.cache();
            length = p;
            padding = new int[] {0};
        } else {
            int newLength = Math.max(length, p);
            if (newLength > length) {
                replace(realign(cache, length, allRows(), newLength));
                for (int r = 0; r < padding.length; r++) {
                    padding[r] += newLength - length;
                }
            }
            C row = alone.cache();
            if (p < newLength) {
                row = realign(row, p, new int[] {0}, newLength);
                free(alone.cache());
            }
            C merged = concat(cache, row, newLength);
            free(row);
            replace(merged);
            length = newLength;
            padding = Arrays.copyOf(padding, padding.length + 1);
            padding[padding.length - 1] = newLength - p;
        }
        rowOf.put(key, keys.size());
        keys.add(key);
        return alone.logits()[0];
    }

    @Override
    public final float[][] step(List<?> order, int[] tokens) {
        if (order.size() != keys.size() || tokens.length != order.size()) {
            throw new IllegalStateException("a step advances all " + keys.size() + " sequences of the batch; got "
                    + order.size() + " keys and " + tokens.length + " tokens");
        }
        if (keys.isEmpty()) {
            return new float[0][];
        }
        int[] byRow = new int[keys.size()];
        int[] positionOf = new int[keys.size()];
        boolean[] seen = new boolean[keys.size()];
        for (int i = 0; i < order.size(); i++) {
            Integer row = rowOf.get(order.get(i));
            if (row == null || seen[row]) {
                throw new IllegalStateException("sequence " + order.get(i) + " is not in the batch, or named twice");
            }
            seen[row] = true;
            byRow[row] = tokens[i];
            positionOf[i] = row;
        }
        for (int r = 0; r < byRow.length; r++) {
            if (length - padding[r] >= context) {
                throw new InvalidInputException("sequence " + keys.get(r) + " holds " + (length - padding[r])
                        + " tokens, the model's whole context; remove it and add its newer tokens again");
            }
        }
        Stepped<C> out = run(column(byRow), cache, length, padding.clone());
        replace(out.cache());
        length++;
        float[][] logits = new float[order.size()][];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = out.logits()[positionOf[i]];
        }
        return logits;
    }

    @Override
    public final float[] reread(Object key, int[] tokens) {
        Integer row = rowOf.get(key);
        if (row == null || !overwrites() || tokens == null || tokens.length == 0 || tokens.length > length) {
            return DecodeBatch.super.reread(key, tokens);
        }
        Stepped<C> alone = run(new int[][] {tokens}, null, 0, null);
        try {
            overwrite(cache, length, row, alone.cache(), tokens.length);
        } finally {
            free(alone.cache());
        }
        padding[row] = length - tokens.length;
        return alone.logits()[0];
    }

    @Override
    public final void remove(Object key) {
        Integer row = rowOf.remove(key);
        if (row == null) {
            return;
        }
        keys.remove((int) row);
        if (keys.isEmpty()) {
            free(cache);
            cache = null;
            length = 0;
            padding = new int[0];
            return;
        }
        int[] keep = new int[keys.size()];
        int[] kept = new int[keys.size()];
        int trim = Integer.MAX_VALUE;
        for (int r = 0, k = 0; r < padding.length; r++) {
            if (r != row) {
                keep[k] = r;
                kept[k++] = padding[r];
                trim = Math.min(trim, padding[r]);
            }
        }
        replace(realign(cache, length, keep, length - trim));
        length -= trim;
        for (int k = 0; k < kept.length; k++) {
            kept[k] -= trim;
        }
        padding = kept;
        rowOf.clear();
        for (int r = 0; r < keys.size(); r++) {
            rowOf.put(keys.get(r), r);
        }
    }

    /** Columns the batch's cache holds now (its longest sequence). */
    public final int length() {
        return length;
    }

    private int[] allRows() {
        int[] rows = new int[keys.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i;
        }
        return rows;
    }

    private void replace(C next) {
        if (next != cache && cache != null) {
            free(cache);
        }
        cache = next;
    }

    @Override
    public void close() {
        if (cache != null) {
            free(cache);
            cache = null;
        }
        keys.clear();
        rowOf.clear();
        padding = new int[0];
        length = 0;
    }

    /** One token per row: a step's {@code [batch, 1]} input. */
    private static int[][] column(int[] tokens) {
        int[][] rows = new int[tokens.length][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = new int[] {tokens[r]};
        }
        return rows;
    }

    /** The rows of one flat cache array then those of another (batch-major, so a plain append). */
    protected static float[] concat(float[] first, float[] second) {
        float[] out = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, out, first.length, second.length);
        return out;
    }

    /**
     * Row selection and right alignment on a flat {@code [rows, heads, length, head_size]} float array, for
     * backends that copy caches through Java.
     */
    public static float[] realign(float[] cache, int heads, int length, int headSize, int[] rows, int newLength) {
        float[] out = new float[rows.length * heads * newLength * headSize];
        int kept = Math.min(length, newLength);
        for (int i = 0; i < rows.length; i++) {
            for (int h = 0; h < heads; h++) {
                int from = ((rows[i] * heads + h) * length + (length - kept)) * headSize;
                int to = ((i * heads + h) * newLength + (newLength - kept)) * headSize;
                System.arraycopy(cache, from, out, to, kept * headSize);
            }
        }
        return out;
    }
}
