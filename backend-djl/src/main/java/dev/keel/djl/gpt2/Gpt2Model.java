package dev.keel.djl.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.djl.DjlEngine;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GPT-2 as Hugging Face's {@code GPT2LMHeadModel} defines it, as a DJL block on PyTorch: learned token and
 * position embeddings, pre-LayerNorm blocks of causal multi-head self-attention and a 4x GELU (tanh) MLP,
 * a final LayerNorm, and an LM head tied to the token embedding.
 *
 * <p>Parameters keep Hugging Face's names and {@code Conv1D} layouts ({@code [in, out]}), so a checkpoint
 * moves between the engine and {@code model.safetensors} without renaming or transposing. Every result of an
 * operation whose first operand is a long-lived array (a parameter, the causal mask) is attached to the
 * caller's manager; otherwise it would stay in the model's manager until the model closes.
 */
public final class Gpt2Model extends AbstractBlock implements AutoCloseable {
    private static final float MASKED = -1e9f;

    private final Gpt2Config config;
    private final NDManager manager;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    // Engine-owned scalars: a Java scalar (x.mul(0.5f)) inside a GradientCollector is wrapped in a tensor over
    // a Java buffer that is freed while autograd still reads it in backward (GUIDE.md 3).
    private final NDArray half;
    private final NDArray one;
    private final NDArray geluScale;
    private final NDArray geluCubic;
    private final NDArray attentionScale;
    private final NDArray causalMask;
    private final NDArray zeroBias;

    private Gpt2Model(Gpt2Config config, NDManager manager, Map<String, NDArray> arrays) {
        this.config = config;
        this.manager = manager;
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            Parameter p = Parameter.builder().setName(e.getKey())
                    .setType(e.getKey().endsWith("bias") ? Parameter.Type.BIAS : Parameter.Type.WEIGHT).build();
            p.setArray(e.getValue());
            parameters.put(e.getKey(), addParameter(p));
        }
        half = DjlEngine.scalar(manager, 0.5f);
        one = DjlEngine.scalar(manager, 1f);
        geluScale = DjlEngine.scalar(manager, (float) Math.sqrt(2.0 / Math.PI));
        geluCubic = DjlEngine.scalar(manager, 0.044715f);
        attentionScale = DjlEngine.scalar(manager, (float) (1.0 / Math.sqrt(config.headSize())));
        zeroBias = manager.zeros(new Shape(config.nEmbd()), DataType.FLOAT32);
        int n = config.nPositions();
        try (NDManager scratch = manager.newSubManager()) {
            NDArray rows = scratch.arange(0, n).reshape(n, 1);
            NDArray cols = scratch.arange(0, n).reshape(1, n);
            NDArray future = cols.gt(rows).toType(DataType.FLOAT32, false);
            NDArray mask = future.mul(DjlEngine.scalar(scratch, MASKED));
            mask.attach(manager);
            causalMask = mask;
        }
    }

    /** A fresh model with nanoGPT's initialisation, drawn from {@code seed} on the JVM (engine-independent). */
    public static Gpt2Model initialise(Gpt2Config config, ai.djl.Device device, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double projStd = 0.02 / Math.sqrt(2.0 * config.nLayer());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Gpt2Layout.shapes(config).forEach((name, shape) -> {
            int count = Math.toIntExact(Tensor.elementCount(shape));
            float[] values = new float[count];
            if (name.endsWith(".bias")) {
                // zero: biases and layer-norm shifts start at zero
            } else if (name.contains("ln_")) {
                java.util.Arrays.fill(values, 1f);
            } else {
                double std = name.endsWith("c_proj.weight") ? projStd : 0.02;
                for (int i = 0; i < count; i++) {
                    values[i] = (float) (gaussian(random) * std);
                }
            }
            tensors.put(name, Tensor.ofFloats(name, shape, values));
        });
        return fromTensors(config, tensors, device);
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller keeps the draw sequence fixed by the seed alone, whatever the JVM
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * A model holding the given tensors, which may come in any of Hugging Face's GPT-2 namings (with or
     * without the {@code transformer.} prefix, with or without {@code attn.bias} buffers).
     */
    public static Gpt2Model fromTensors(Gpt2Config config, Map<String, Tensor> tensors, ai.djl.Device device) {
        Map<String, Tensor> canonical = Gpt2Layout.normalize(tensors, config);
        NDManager manager = DjlEngine.newManager(device);
        try {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            Gpt2Layout.shapes(config).forEach((name, shape) -> {
                float[] values;
                try {
                    values = canonical.get(name).toFloats();
                } catch (CheckpointException e) {
                    throw new CheckpointException("tensor " + name + " cannot be read as floats: " + e.getMessage(), e);
                }
                for (float v : values) {
                    if (!Float.isFinite(v)) {
                        throw new CheckpointException("tensor " + name + " holds NaN or infinite values; the "
                                + "checkpoint is corrupt or came from a diverged run; restore an earlier one");
                    }
                }
                arrays.put(name, DjlEngine.ownedFloats(manager, values, new Shape(shape)));
            });
            return new Gpt2Model(config, manager, arrays);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public Gpt2Config config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** Parameters by Hugging Face name, in the order {@link Gpt2Layout#shapes} lists them. */
    public Map<String, Parameter> namedParameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters.values()) {
            n += p.getArray().size();
        }
        return n;
    }

    /** Marks every parameter as trainable (gradients attached) or frozen. */
    public void setTrainable(boolean trainable) {
        parameters.values().forEach(p -> p.getArray().setRequiresGradient(trainable));
    }

    /** The weights as safetensors tensors with Hugging Face names and layouts. */
    public List<Tensor> toTensors() {
        List<Tensor> out = new ArrayList<>();
        parameters.forEach((name, p) -> out.add(toTensor(name, p.getArray())));
        return out;
    }

    static Tensor toTensor(String name, NDArray array) {
        ByteBuffer bytes = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(bytes).flip();
        return new Tensor(name, dev.keel.spi.checkpoint.DType.F32, array.getShape().getShape(), copy);
    }

    private NDArray p(String name) {
        return parameters.get(name).getArray();
    }

    /**
     * Next-token logits {@code [B, T, vocab]} for token ids {@code [B, T]} (int64), continuing from what
     * {@code cache} holds (null for a plain full pass). Results belong to {@code local}.
     */
    public NDArray forward(NDManager local, NDArray tokens, KvCache cache, boolean training) {
        NDArray headT = p("transformer.wte.weight").transpose();
        headT.attach(local);
        return hidden(local, tokens, cache, training).matMul(headT);
    }

    /**
     * The final hidden states after {@code ln_f}, {@code [B, T, n_embd]}: what {@link #forward} projects to
     * logits, and what a gpt2 embedding averages. Results belong to {@code local}.
     */
    public NDArray hidden(NDManager local, NDArray tokens, KvCache cache, boolean training) {
        long batch = tokens.getShape().get(0);
        long time = tokens.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (past + time > config.nPositions()) {
            throw new InvalidInputException("the sequence has " + (past + time) + " tokens but the model's "
                    + "context holds " + config.nPositions() + "; shorten the input");
        }
        float drop = training ? (float) config.dropout() : 0f;
        NDArray positions = DjlEngine.ownedLongs(local, range(past, time), new Shape(time));
        NDArray x = Embedding.embedding(tokens, p("transformer.wte.weight"), SparseFormat.DENSE).singletonOrThrow();
        NDArray pos = Embedding.embedding(positions, p("transformer.wpe.weight"), SparseFormat.DENSE)
                .singletonOrThrow();
        x = dropout(x.add(pos), drop, training);
        NDArray mask = time > 1 ? causalMask.get(local, new NDIndex("{}:{}, :{}", past, past + time, past + time))
                : null;
        for (int layer = 0; layer < config.nLayer(); layer++) {
            String b = Gpt2Layout.PREFIX + "h." + layer + ".";
            NDArray h = layerNorm(x, b + "ln_1");
            x = x.add(attention(local, h, b, mask, cache, layer, batch, time, drop, training));
            h = layerNorm(x, b + "ln_2");
            x = x.add(mlp(h, b, drop, training));
        }
        if (cache != null) {
            cache.advance(Math.toIntExact(time));
        }
        return layerNorm(x, "transformer.ln_f");
    }

    private static long[] range(long from, long count) {
        long[] r = new long[Math.toIntExact(count)];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private NDArray attention(NDManager local, NDArray x, String b, NDArray mask, KvCache cache, int layer,
            long batch, long time, float drop, boolean training) {
        int heads = config.nHead();
        int size = config.headSize();
        NDArray qkv = linear(x, b + "attn.c_attn");
        NDList parts = qkv.split(3, 2);
        NDArray q = parts.get(0).reshape(batch, time, heads, size).transpose(0, 2, 1, 3);
        NDArray k = parts.get(1).reshape(batch, time, heads, size).transpose(0, 2, 1, 3);
        NDArray v = parts.get(2).reshape(batch, time, heads, size).transpose(0, 2, 1, 3);
        if (cache != null) {
            k = cache.appendKeys(layer, k);
            v = cache.appendValues(layer, v);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(attentionScale);
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray weights = dropout(scores.softmax(-1), drop, training);
        NDArray y = weights.matMul(v).transpose(0, 2, 1, 3).reshape(batch, time, config.nEmbd());
        return dropout(linear(y, b + "attn.c_proj"), drop, training);
    }

    private NDArray mlp(NDArray x, String b, float drop, boolean training) {
        NDArray h = gelu(linear(x, b + "mlp.c_fc"));
        return dropout(linear(h, b + "mlp.c_proj"), drop, training);
    }

    /** GPT-2's {@code gelu_new}: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private NDArray gelu(NDArray x) {
        NDArray inner = x.add(x.mul(x).mul(x).mul(geluCubic)).mul(geluScale);
        return x.mul(half).mul(inner.tanh().add(one));
    }

    /** Conv1D: {@code x @ W + b} with {@code W} stored {@code [in, out]}. */
    private NDArray linear(NDArray x, String name) {
        NDArray y = x.matMul(p(name + ".weight"));
        Parameter bias = parameters.get(name + ".bias");
        return bias == null ? y : y.add(bias.getArray());
    }

    private NDArray layerNorm(NDArray x, String name) {
        // an explicit normalized shape of [n_embd]: LayerNorm's default normalises over T too and leaks the future
        Parameter bias = parameters.get(name + ".bias");
        return LayerNorm.layerNorm(x, new Shape(config.nEmbd()), p(name + ".weight"),
                bias == null ? zeroBias : bias.getArray(), (float) config.layerNormEpsilon()).singletonOrThrow();
    }

    private static NDArray dropout(NDArray x, float rate, boolean training) {
        return rate > 0 && training ? Dropout.dropout(x, rate, true).singletonOrThrow() : x;
    }

    /**
     * Mean next-token cross-entropy of {@code targets} given {@code tokens} (both {@code [B, T]} int64), as a
     * scalar in {@code local}.
     */
    public NDArray loss(NDManager local, NDArray tokens, NDArray targets, boolean training) {
        return tokenLosses(local, tokens, targets, training).mean();
    }

    /** Per-token negative log-likelihoods {@code [B, T]}. */
    public NDArray tokenLosses(NDManager local, NDArray tokens, NDArray targets, boolean training) {
        NDArray logits = forward(local, tokens, null, training);
        NDArray logProbs = logits.logSoftmax(-1);
        return logProbs.gather(targets.expandDims(-1), -1).squeeze(-1).neg();
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray tokens = inputs.singletonOrThrow();
        return new NDList(forward(tokens.getManager(), tokens, null, training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), in.get(1), config.vocabSize())};
    }

    @Override
    public void close() {
        manager.close();
    }
}
