package dev.keel.onnx.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.spi.infer.AlignedBatch;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Continuous batching on ONNX Runtime: a step is one run of the gpt2 graph on {@code [batch, 1]} tokens after
 * the batch's right-aligned caches, with each row's padding in the graph's optional {@code left_padding}
 * input ({@link Gpt2Graph}). A step's present tensors are the next step's past, so caches stay in the
 * engine between steps; only joining and leaving copy them through Java. Row bookkeeping is
 * {@link AlignedBatch}'s.
 */
final class OnnxDecodeBatch extends AlignedBatch<OnnxDecodeBatch.Kv> {
    /** Every layer's key and value tensors for some rows, and what owns them (a run's result or this batch). */
    static final class Kv {
        final OnnxTensor[] tensors;
        private final AutoCloseable owner;

        Kv(OnnxTensor[] tensors, AutoCloseable owner) {
            this.tensors = tensors;
            this.owner = owner;
        }
    }

    private final OrtSession session;
    private final Gpt2Config config;

    OnnxDecodeBatch(OrtSession session, Gpt2Config config, String location) {
        super(config.nPositions());
        if (!session.getInputNames().contains(Gpt2Graph.LEFT_PADDING)) {
            throw new UnsupportedCapabilityException("the ONNX graph of " + location + " has no "
                    + Gpt2Graph.LEFT_PADDING + " input (an export of an older Keel), so it cannot decode "
                    + "sequences together; export the folder again (keel export --backend onnx) or delete its "
                    + OnnxModel.GRAPH + " so a fresh export is served");
        }
        this.session = session;
        this.config = config;
    }

    @Override
    protected Stepped<Kv> run(int[][] tokens, Kv past, int length, int[] leftPadding) {
        int b = tokens.length;
        int t = tokens[0].length;
        long[] ids = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int p = 0; p < t; p++) {
                int id = tokens[r][p];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new InvalidInputException("token " + id + " is outside the vocabulary [0, "
                            + config.vocabSize() + "); encode the input with this model's tokenizer");
                }
                ids[r * t + p] = id;
            }
        }
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            OnnxTensor idTensor = OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(ids), new long[] {b, t});
            owned.add(idTensor);
            inputs.put(Gpt2Graph.INPUT_IDS, idTensor);
            Kv from = past != null ? past : emptyPast(b);
            if (past == null) {
                owned.addAll(java.util.Arrays.asList(from.tensors));
            }
            for (int i = 0; i < config.nLayer(); i++) {
                inputs.put(Gpt2Graph.pastKey(i), from.tensors[2 * i]);
                inputs.put(Gpt2Graph.pastValue(i), from.tensors[2 * i + 1]);
            }
            {
                long[] pad = new long[leftPadding == null ? 1 : b];
                for (int r = 0; leftPadding != null && r < b; r++) {
                    pad[r] = leftPadding[r];
                }
                OnnxTensor padTensor = OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(pad), new long[] {pad.length});
                owned.add(padTensor);
                inputs.put(Gpt2Graph.LEFT_PADDING, padTensor);
            }
            OrtSession.Result result = session.run(inputs);
            try {
                FloatBuffer all = ((OnnxTensor) result.get(Gpt2Graph.LOGITS).orElseThrow()).getFloatBuffer();
                int v = config.vocabSize();
                float[][] logits = new float[b][v];
                for (int r = 0; r < b; r++) {
                    all.position((r * t + t - 1) * v);
                    all.get(logits[r]);
                }
                OnnxTensor[] present = new OnnxTensor[2 * config.nLayer()];
                for (int i = 0; i < config.nLayer(); i++) {
                    present[2 * i] = (OnnxTensor) result.get(Gpt2Graph.presentKey(i)).orElseThrow();
                    present[2 * i + 1] = (OnnxTensor) result.get(Gpt2Graph.presentValue(i)).orElseThrow();
                }
                return new Stepped<>(logits, new Kv(present, result));
            } catch (RuntimeException e) {
                result.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new KeelException("ONNX Runtime failed while decoding a batch: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private Kv emptyPast(int rows) {
        return fromArrays(new float[2 * config.nLayer()][0], rows, 0);
    }

    @Override
    protected Kv realign(Kv cache, int length, int[] rows, int newLength) {
        float[][] arrays = new float[cache.tensors.length][];
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = AlignedBatch.realign(read(cache.tensors[i]), config.nHead(), length, config.headSize(), rows,
                    newLength);
        }
        return fromArrays(arrays, rows.length, newLength);
    }

    @Override
    protected Kv concat(Kv first, Kv second, int length) {
        float[][] arrays = new float[first.tensors.length][];
        int rows = 0;
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = concat(read(first.tensors[i]), read(second.tensors[i]));
            rows = arrays[i].length / (config.nHead() * length * config.headSize());
        }
        return fromArrays(arrays, rows, length);
    }

    private static float[] read(OnnxTensor tensor) {
        FloatBuffer buffer = tensor.getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private Kv fromArrays(float[][] arrays, int rows, int length) {
        List<OnnxTensor> created = new ArrayList<>();
        try {
            long[] shape = {rows, config.nHead(), length, config.headSize()};
            for (float[] a : arrays) {
                created.add(OnnxTensor.createTensor(Ort.env(), FloatBuffer.wrap(a), shape));
            }
        } catch (OrtException e) {
            created.forEach(OnnxTensor::close);
            throw new KeelException("ONNX Runtime cannot hold a batch cache: " + e.getMessage(), e);
        }
        OnnxTensor[] tensors = created.toArray(new OnnxTensor[0]);
        return new Kv(tensors, () -> created.forEach(OnnxTensor::close));
    }

    @Override
    protected void free(Kv cache) {
        try {
            cache.owner.close();
        } catch (Exception e) {
            throw new KeelException("cannot free a batch cache: " + e.getMessage(), e);
        }
    }
}
