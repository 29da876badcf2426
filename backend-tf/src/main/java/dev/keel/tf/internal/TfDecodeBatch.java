package dev.keel.tf.internal;

import dev.keel.api.InvalidInputException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.infer.AlignedBatch;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.types.TFloat32;

/**
 * Continuous batching on TensorFlow: a step is one run of the session's graph on {@code [batch, 1]} tokens
 * after the batch's right-aligned caches, with each row's padding fed to the graph's {@code left_padding}
 * ({@link Gpt2Graph}). A run's present tensors feed the next step, so caches stay native between steps;
 * joining and leaving copy them through Java. Row bookkeeping is {@link AlignedBatch}'s.
 */
final class TfDecodeBatch extends AlignedBatch<TfDecodeBatch.Kv> {
    /** One batched run of the graph (the session's {@code runBatch}). */
    interface Runner {
        Result run(int[][] tokens, List<TFloat32> past, int[] leftPadding);
    }

    /** Every layer's keys, then every layer's values, and what owns them (a run's result or this batch). */
    static final class Kv {
        final List<TFloat32> tensors;
        private final AutoCloseable owner;

        Kv(List<TFloat32> tensors, AutoCloseable owner) {
            this.tensors = tensors;
            this.owner = owner;
        }
    }

    private final Gpt2Config config;
    private final Runner runner;

    TfDecodeBatch(Gpt2Config config, Runner runner) {
        super(config.nPositions());
        this.config = config;
        this.runner = runner;
    }

    @Override
    protected Stepped<Kv> run(int[][] tokens, Kv past, int length, int[] leftPadding) {
        for (int[] row : tokens) {
            for (int id : row) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new InvalidInputException("token " + id + " is outside the vocabulary of "
                            + config.vocabSize() + "; encode text with this model's tokenizer");
                }
            }
        }
        Result result = runner.run(tokens, past == null ? null : past.tensors, leftPadding);
        try {
            float[] flat = TfTensors.read((TFloat32) result.get(0));
            int v = config.vocabSize();
            float[][] logits = new float[tokens.length][];
            for (int r = 0; r < logits.length; r++) {
                logits[r] = java.util.Arrays.copyOfRange(flat, r * v, (r + 1) * v);
            }
            List<TFloat32> present = new ArrayList<>();
            for (int i = 1; i <= 2 * config.nLayer(); i++) {
                present.add((TFloat32) result.get(i));
            }
            return new Stepped<>(logits, new Kv(present, result));
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
    }

    @Override
    protected Kv realign(Kv cache, int length, int[] rows, int newLength) {
        float[][] arrays = new float[cache.tensors.size()][];
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = AlignedBatch.realign(TfTensors.read(cache.tensors.get(i)), config.nHead(), length,
                    config.headSize(), rows, newLength);
        }
        return fromArrays(arrays, rows.length, newLength);
    }

    @Override
    protected Kv concat(Kv first, Kv second, int length) {
        float[][] arrays = new float[first.tensors.size()][];
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = concat(TfTensors.read(first.tensors.get(i)), TfTensors.read(second.tensors.get(i)));
        }
        int rows = arrays[0].length / (config.nHead() * length * config.headSize());
        return fromArrays(arrays, rows, length);
    }

    private Kv fromArrays(float[][] arrays, int rows, int length) {
        List<TFloat32> tensors = new ArrayList<>();
        for (float[] a : arrays) {
            tensors.add(TfTensors.floats(a, rows, config.nHead(), length, config.headSize()));
        }
        return new Kv(tensors, () -> tensors.forEach(Tensor::close));
    }

    /** TensorFlow's tensors are host memory this batch owns once a run returned them: rows are written in place. */
    @Override
    protected boolean overwrites() {
        return true;
    }

    @Override
    protected void overwrite(Kv cache, int length, int row, Kv rowCache, int rowLength) {
        int heads = config.nHead();
        int headSize = config.headSize();
        for (int i = 0; i < cache.tensors.size(); i++) {
            float[] from = TfTensors.read(rowCache.tensors.get(i));
            FloatDataBuffer to = cache.tensors.get(i).asRawTensor().data().asFloats();
            for (int h = 0; h < heads; h++) {
                to.offset(((long) (row * heads + h) * length + (length - rowLength)) * headSize)
                        .write(from, h * rowLength * headSize, rowLength * headSize);
            }
        }
    }

    @Override
    protected void free(Kv cache) {
        try {
            cache.owner.close();
        } catch (Exception e) {
            throw new dev.keel.api.KeelException("cannot free a batch cache: " + e.getMessage(), e);
        }
    }
}
