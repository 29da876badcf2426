package dev.keel.djl.internal.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.infer.AlignedBatch;
import java.util.Arrays;

/**
 * Continuous batching on DJL: a batch's keys and values are one {@link KvCache} of {@code [batch, heads,
 * length, head_size]} arrays, and a step is one forward pass of {@code [batch, 1]} tokens with each row's left
 * padding masked ({@link Gpt2Model#forward(NDManager, NDArray, KvCache, boolean, int[])}). Row bookkeeping is
 * {@link AlignedBatch}'s.
 */
final class DjlDecodeBatch extends AlignedBatch<KvCache> {
    private final Gpt2Model model;
    private final NDManager scope;

    DjlDecodeBatch(Gpt2Model model) {
        super(model.config().nPositions());
        this.model = model;
        this.scope = model.manager().newSubManager();
    }

    @Override
    protected Stepped<KvCache> run(int[][] tokens, KvCache past, int length, int[] leftPadding) {
        KvCache cache = past != null ? past : new KvCache(scope, model.config().nLayer());
        int t = tokens[0].length;
        long[] ids = new long[tokens.length * t];
        for (int r = 0; r < tokens.length; r++) {
            for (int p = 0; p < t; p++) {
                ids[r * t + p] = tokens[r][p];
            }
        }
        try (NDManager local = scope.newSubManager()) {
            NDArray input = DjlEngine.ownedLongs(local, ids, new Shape(tokens.length, t));
            NDArray logits = model.forward(local, input, cache, false, leftPadding);
            float[] last = logits.get(new NDIndex(":, -1, :")).toFloatArray();
            int vocab = model.config().vocabSize();
            float[][] out = new float[tokens.length][];
            for (int r = 0; r < out.length; r++) {
                out[r] = Arrays.copyOfRange(last, r * vocab, (r + 1) * vocab);
            }
            return new Stepped<>(out, cache);
        } catch (RuntimeException e) {
            if (past == null) {
                cache.close();
            }
            throw e;
        }
    }

    @Override
    protected KvCache realign(KvCache cache, int length, int[] rows, int newLength) {
        int layers = cache.layers();
        NDArray[] keys = new NDArray[layers];
        NDArray[] values = new NDArray[layers];
        try (NDManager local = scope.newSubManager()) {
            for (int i = 0; i < layers; i++) {
                keys[i] = realign(local, cache.keys(i), length, rows, newLength);
                values[i] = realign(local, cache.values(i), length, rows, newLength);
            }
            return KvCache.of(scope, keys, values, newLength);
        }
    }

    /** Selected rows of one {@code [B, H, length, D]} array, right-aligned in {@code newLength} columns (a copy). */
    private static NDArray realign(NDManager local, NDArray array, int length, int[] rows, int newLength) {
        NDList picked = new NDList();
        for (int r : rows) {
            NDArray row = array.get(new NDIndex("{}:{}", r, r + 1));
            row.attach(local);
            picked.add(row);
        }
        NDArray x = picked.size() == 1 ? picked.get(0) : NDArrays.concat(picked, 0);
        if (newLength < length) {
            x = x.get(new NDIndex(":, :, {}:, :", length - newLength));
        } else if (newLength > length) {
            Shape s = x.getShape();
            NDArray zeros = local.zeros(new Shape(s.get(0), s.get(1), newLength - length, s.get(3)), DataType.FLOAT32);
            x = zeros.concat(x, 2);
        }
        NDArray copy = x.duplicate();
        copy.attach(local);
        return copy;
    }

    @Override
    protected KvCache concat(KvCache first, KvCache second, int length) {
        int layers = first.layers();
        NDArray[] keys = new NDArray[layers];
        NDArray[] values = new NDArray[layers];
        for (int i = 0; i < layers; i++) {
            keys[i] = first.keys(i).concat(second.keys(i), 0);
            values[i] = first.values(i).concat(second.values(i), 0);
        }
        return KvCache.of(scope, keys, values, length);
    }

    @Override
    protected void free(KvCache cache) {
        cache.close();
    }

    @Override
    public void close() {
        super.close();
        scope.close();
    }
}
