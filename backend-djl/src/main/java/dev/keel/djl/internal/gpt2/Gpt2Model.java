package dev.keel.djl.internal.gpt2;

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
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * GPT-2 as Hugging Face's {@code GPT2LMHeadModel} defines it, as a DJL block on PyTorch: learned token and
 * position embeddings, pre-LayerNorm blocks of causal multi-head self-attention and a 4x GELU (tanh) MLP,
 * a final LayerNorm, and an LM head tied to the token embedding.
 *
 * <p>Parameters keep Hugging Face's names and {@code Conv1D} layouts ({@code [in, out]}), so a checkpoint
 * moves between the engine and {@code model.safetensors} without renaming or transposing. Every result of an
 * operation whose first operand is a long-lived array (a parameter, the causal mask) is attached to the
 * caller's manager; otherwise it would stay in the model's manager until the model closes.
 *
 * <p>LoRA adapters, when attached, add {@code (alpha / r) (x A^T) B^T} to the chosen Conv1D projections and
 * are kept apart from the base parameters: {@link #toTensors} and {@link #namedParameters} stay the base's,
 * and {@link #loraArrays} (PEFT's names) is what a LoRA run trains.
 */
public final class Gpt2Model extends AbstractBlock implements AutoCloseable {
    private static final float MASKED = -1e9f;
    /** PEFT's default LoRA target for GPT-2: the fused query/key/value projection. */
    public static final List<String> DEFAULT_LORA_TARGETS = List.of("c_attn");
    /** The Conv1D projections LoRA can adapt, as paths inside one block. */
    static final List<String> LORA_MODULES = List.of("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj");

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
    /** Adapted module path (such as {@code transformer.h.0.attn.c_attn}) to its {A [r, in], B [out, r]}. */
    private final Map<String, NDArray[]> lora = new LinkedHashMap<>();
    private LoraConfig loraConfig;
    private NDArray loraScale;

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
        return fromTensors(config, dev.keel.spi.train.PretrainLoop.initialWeights(config, seed), device);
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

    /** Every parameter: the base's and the LoRA adapters'. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters.values()) {
            n += p.getArray().size();
        }
        return n + loraParameterCount();
    }

    /** Marks every base parameter as trainable (gradients attached) or frozen. */
    public void setTrainable(boolean trainable) {
        parameters.values().forEach(p -> p.getArray().setRequiresGradient(trainable));
    }

    /** Freezes the base and marks the LoRA adapters trainable (or frozen), so only they get gradients. */
    public void setLoraTrainable(boolean trainable) {
        if (lora.isEmpty()) {
            throw new KeelException("LoRA training needs adapters: call addLora before training with --method lora");
        }
        setTrainable(false);
        lora.values().forEach(ab -> {
            ab[0].setRequiresGradient(trainable);
            ab[1].setRequiresGradient(trainable);
        });
    }

    /**
     * The Conv1D modules (paths such as {@code transformer.h.0.attn.c_attn}) that LoRA targets select, matched
     * as PEFT matches them: a target equals the module's path or ends it after a dot, so {@code c_proj} takes
     * both the attention and the MLP output projections and {@code attn.c_proj} the first only. No targets
     * means PEFT's gpt2 default, {@code c_attn}. A target that matches nothing is an error, before any work.
     */
    public static List<String> loraModules(Gpt2Config config, List<String> targets) {
        List<String> wanted = targets.isEmpty() ? DEFAULT_LORA_TARGETS : targets;
        List<String> modules = new ArrayList<>();
        for (String target : wanted) {
            boolean matched = false;
            for (int layer = 0; layer < config.nLayer(); layer++) {
                for (String module : LORA_MODULES) {
                    String path = Gpt2Layout.block(layer, module);
                    if (path.equals(target) || path.endsWith("." + target)) {
                        matched = true;
                        if (!modules.contains(path)) {
                            modules.add(path);
                        }
                    }
                }
            }
            if (!matched) {
                throw new InvalidInputException("LoRA target '" + target + "' matches no gpt2 module; use names "
                        + "among c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj (--lora-targets c_attn is PEFT's default)");
            }
        }
        // in layer order, so the adapter file lists modules as PEFT writes them
        List<String> ordered = new ArrayList<>();
        for (String name : Gpt2Layout.shapes(config).keySet()) {
            String module = name.substring(0, name.length() - ".weight".length());
            if (name.endsWith(".weight") && modules.contains(module)) {
                ordered.add(module);
            }
        }
        return ordered;
    }

    /** Attaches LoRA adapters as PEFT initialises them ({@link LoraAdapter#initialA}, drawn from {@code seed}). */
    public void addLora(LoraConfig lc, long seed) {
        if (!lora.isEmpty()) {
            throw new KeelException("LoRA adapters are already attached to this model; attach them once");
        }
        Random random = new Random(seed);
        for (String module : loraModules(config, lc.targetModules())) {
            long[] shape = p(module + ".weight").getShape().getShape();
            int in = (int) shape[0];
            int out = (int) shape[1];
            attachLora(module, DjlEngine.ownedFloats(manager, LoraAdapter.initialA(lc.rank(), in, random),
                    new Shape(lc.rank(), in)),
                    DjlEngine.ownedFloats(manager, new float[out * lc.rank()], new Shape(out, lc.rank())));
        }
        loraConfig = lc;
        loraScale = DjlEngine.scalar(manager, (float) lc.scaling());
    }

    /** Attaches trained adapters read from PEFT files, unmerged (for equivalence checks with the merge). */
    public void loadLora(LoraAdapter adapter) {
        loadLora(adapter, 0);
    }

    /**
     * Attaches trained adapters to train on (a warm start), with {@code dropout} on their input as PEFT's
     * {@code lora_dropout} (PEFT's files keep it in the config, not in the tensors).
     */
    public void loadLora(LoraAdapter adapter, double dropout) {
        if (!lora.isEmpty()) {
            throw new KeelException("LoRA adapters are already attached to this model; attach them once");
        }
        for (String name : adapter.modules()) {
            String module = name.startsWith(Gpt2Layout.PREFIX) ? name : Gpt2Layout.PREFIX + name;
            Parameter w = parameters.get(module + ".weight");
            Tensor a = adapter.loraA(name);
            Tensor b = adapter.loraB(name);
            if (w == null || !module.contains(".h.")) {
                throw new CheckpointException("adapter module '" + name + "' is not a gpt2 Conv1D projection");
            }
            long[] shape = w.getArray().getShape().getShape();
            if (a.shape()[1] != shape[0] || b.shape()[0] != shape[1] || a.shape()[0] != b.shape()[1]) {
                throw new CheckpointException("adapter shapes A" + java.util.Arrays.toString(a.shape()) + " B"
                        + java.util.Arrays.toString(b.shape()) + " do not fit " + module + " "
                        + java.util.Arrays.toString(shape));
            }
            attachLora(module, DjlEngine.ownedFloats(manager, a.toFloats(), new Shape(a.shape())),
                    DjlEngine.ownedFloats(manager, b.toFloats(), new Shape(b.shape())));
        }
        loraConfig = new LoraConfig(adapter.rank(), adapter.alpha(), dropout, List.of());
        loraScale = DjlEngine.scalar(manager, (float) adapter.scaling());
    }

    private void attachLora(String module, NDArray a, NDArray b) {
        lora.put(module, new NDArray[] {a, b});
    }

    /** The LoRA arrays by PEFT name ({@code base_model.model.transformer.h.0.attn.c_attn.lora_A.weight}). */
    public Map<String, NDArray> loraArrays() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        lora.forEach((module, ab) -> {
            out.put(LoraAdapter.PREFIX + module + ".lora_A.weight", ab[0]);
            out.put(LoraAdapter.PREFIX + module + ".lora_B.weight", ab[1]);
        });
        return out;
    }

    public long loraParameterCount() {
        long n = 0;
        for (NDArray[] ab : lora.values()) {
            n += ab[0].size() + ab[1].size();
        }
        return n;
    }

    /** The settings of the attached adapters, or null when there are none. */
    public LoraConfig loraConfig() {
        return loraConfig;
    }

    /** The adapters as PEFT's {@code adapter_model.safetensors} tensors. */
    public Map<String, Tensor> peftTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        loraArrays().forEach((name, a) -> out.put(name, toTensor(name, a)));
        return out;
    }

    /** The weights as safetensors tensors with Hugging Face names and layouts. */
    public List<Tensor> toTensors() {
        List<Tensor> out = new ArrayList<>();
        parameters.forEach((name, p) -> out.add(toTensor(name, p.getArray())));
        return out;
    }

    /** A copy of an engine array as a float32 tensor named {@code name}. */
    public static Tensor toTensor(String name, NDArray array) {
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
        return forward(local, tokens, cache, training, null);
    }

    /**
     * Like {@link #forward}, for rows whose cache is padded on the left (a continuous batch): row {@code r}'s
     * first {@code leftPadding[r]} cached positions are masked out and its positions start after them. Null
     * padding is the plain pass.
     */
    NDArray forward(NDManager local, NDArray tokens, KvCache cache, boolean training, int[] leftPadding) {
        NDArray headT = p("transformer.wte.weight").transpose();
        headT.attach(local);
        return hidden(local, tokens, cache, training, leftPadding).matMul(headT);
    }

    /**
     * The final hidden states after {@code ln_f}, {@code [B, T, n_embd]}: what {@link #forward} projects to
     * logits, and what a gpt2 embedding averages. Results belong to {@code local}.
     */
    public NDArray hidden(NDManager local, NDArray tokens, KvCache cache, boolean training) {
        return hidden(local, tokens, cache, training, null);
    }

    private NDArray hidden(NDManager local, NDArray tokens, KvCache cache, boolean training, int[] leftPadding) {
        long batch = tokens.getShape().get(0);
        long time = tokens.getShape().get(1);
        int past = cache == null ? 0 : cache.length();
        if (past + time > config.nPositions()) {
            throw new InvalidInputException("the sequence has " + (past + time) + " tokens but the model's "
                    + "context holds " + config.nPositions() + "; shorten the input");
        }
        float drop = training ? (float) config.dropout() : 0f;
        NDArray positions = leftPadding == null ? DjlEngine.ownedLongs(local, range(past, time), new Shape(time))
                : DjlEngine.ownedLongs(local, paddedPositions(past, time, leftPadding), new Shape(batch, time));
        NDArray x = Embedding.embedding(tokens, p("transformer.wte.weight"), SparseFormat.DENSE).singletonOrThrow();
        NDArray pos = Embedding.embedding(positions, p("transformer.wpe.weight"), SparseFormat.DENSE)
                .singletonOrThrow();
        x = dropout(x.add(pos), drop, training);
        NDArray mask = time > 1 ? causalMask.get(local, new NDIndex("{}:{}, :{}", past, past + time, past + time))
                : null;
        if (leftPadding != null) {
            NDArray padded = keyPadding(local, leftPadding, past + Math.toIntExact(time));
            mask = mask == null ? padded : padded.add(mask);
        }
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

    /** Row r's positions {@code past - leftPadding[r] + t}: its padding takes no position. */
    private static long[] paddedPositions(int past, long time, int[] leftPadding) {
        long[] out = new long[Math.toIntExact(leftPadding.length * time)];
        for (int r = 0; r < leftPadding.length; r++) {
            for (int t = 0; t < time; t++) {
                out[Math.toIntExact(r * time + t)] = past - leftPadding[r] + t;
            }
        }
        return out;
    }

    /** {@code [B, 1, 1, keys]}: a large negative on each row's left padding, 0 elsewhere. */
    private static NDArray keyPadding(NDManager local, int[] leftPadding, int keys) {
        float[] bias = new float[leftPadding.length * keys];
        for (int r = 0; r < leftPadding.length; r++) {
            java.util.Arrays.fill(bias, r * keys, r * keys + leftPadding[r], MASKED);
        }
        return DjlEngine.ownedFloats(local, bias, new Shape(leftPadding.length, 1, 1, keys));
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
        NDArray qkv = linear(x, b + "attn.c_attn", training);
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
        return dropout(linear(y, b + "attn.c_proj", training), drop, training);
    }

    private NDArray mlp(NDArray x, String b, float drop, boolean training) {
        NDArray h = gelu(linear(x, b + "mlp.c_fc", training));
        return dropout(linear(h, b + "mlp.c_proj", training), drop, training);
    }

    /** GPT-2's {@code gelu_new}: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private NDArray gelu(NDArray x) {
        NDArray inner = x.add(x.mul(x).mul(x).mul(geluCubic)).mul(geluScale);
        return x.mul(half).mul(inner.tanh().add(one));
    }

    /**
     * Conv1D: {@code x @ W + b} with {@code W} stored {@code [in, out]}, plus the LoRA update
     * {@code (alpha / r) (x A^T) B^T} when the module has an adapter. Linear.linear keeps x first, so the
     * update's intermediates belong to the caller's manager.
     */
    private NDArray linear(NDArray x, String name, boolean training) {
        NDArray y = x.matMul(p(name + ".weight"));
        Parameter bias = parameters.get(name + ".bias");
        y = bias == null ? y : y.add(bias.getArray());
        NDArray[] ab = lora.get(name);
        if (ab != null) {
            NDArray in = dropout(x, (float) loraConfig.dropout(), training);
            NDArray low = Linear.linear(in, ab[0]).singletonOrThrow();
            y = y.add(Linear.linear(low, ab[1]).singletonOrThrow().mul(loraScale));
        }
        return y;
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
