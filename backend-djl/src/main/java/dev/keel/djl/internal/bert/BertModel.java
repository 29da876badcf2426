package dev.keel.djl.internal.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.keel.adapters.ClassifierHead;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.model.BertConfig;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * BERT's encoder as Hugging Face computes it, over named NDArrays: embeddings (word + position + token
 * type, LayerNorm), then per layer self-attention with the additive padding mask, output projection,
 * residual and LayerNorm (post-LN), exact-erf GELU feed-forward, residual and LayerNorm. Sentence features
 * are the mean of the last hidden states over real tokens; the optional classifier is one linear layer on
 * them. LoRA adapters add {@code (alpha / r) B A x} to chosen projections, leaving the base weights as
 * they were loaded.
 */
public final class BertModel implements AutoCloseable {
    /** Hugging Face's prefix for the encoder inside {@code BertForSequenceClassification}. */
    public static final String SEQ_CLS_PREFIX = "bert.";
    /** The projections LoRA can adapt, as paths inside one layer. */
    static final List<String> LINEAR_MODULES = List.of("attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense");

    private final BertConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();
    private final Map<String, NDArray[]> lora = new LinkedHashMap<>();
    private NDArray classifierWeight;
    private NDArray classifierBias;
    private LoraConfig loraConfig;
    private NDArray loraScale;
    private final NDArray attentionScale;

    private BertModel(NDManager manager, BertConfig config) {
        this.manager = manager;
        this.config = config;
        int headSize = config.hiddenSize() / config.numAttentionHeads();
        this.attentionScale = DjlEngine.scalar(manager, (float) (1.0 / Math.sqrt(headSize)));
    }

    /**
     * A model from checkpoint tensors, with or without the {@code bert.} prefix; a {@code classifier.*}
     * pair is loaded when present.
     */
    public static BertModel fromTensors(NDManager manager, BertConfig config, Map<String, Tensor> tensors) {
        BertModel m = new BertModel(manager, config);
        String prefix = tensors.containsKey(SEQ_CLS_PREFIX + "embeddings.word_embeddings.weight") ? SEQ_CLS_PREFIX : "";
        for (Map.Entry<String, long[]> e : BertLayout.shapes(config).entrySet()) {
            Tensor t = tensors.get(prefix + e.getKey());
            if (t == null) {
                throw new CheckpointException("the bert checkpoint has no tensor '" + prefix + e.getKey()
                        + "'; it is not a complete " + config.numHiddenLayers() + "-layer BERT");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new CheckpointException("tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                        + " but config.json implies " + Arrays.toString(e.getValue()));
            }
            m.weights.put(e.getKey(), DjlEngine.ownedFloats(manager, t.toFloats(), new Shape(t.shape())));
        }
        if (tensors.containsKey(ClassifierHead.WEIGHT)) {
            Tensor w = tensors.get(ClassifierHead.WEIGHT);
            m.classifierWeight = DjlEngine.ownedFloats(manager, w.toFloats(), new Shape(w.shape()));
            Tensor b = tensors.get(ClassifierHead.BIAS);
            m.classifierBias = DjlEngine.ownedFloats(manager, b.toFloats(), new Shape(b.shape()));
        }
        return m;
    }

    /** Hugging Face's initialisation (normal 0.02, LayerNorm 1/0, biases 0), seeded: for tests and from-scratch runs. */
    public static BertModel random(NDManager manager, BertConfig config, long seed) {
        BertModel m = new BertModel(manager, config);
        Random rnd = new Random(seed);
        for (Map.Entry<String, long[]> e : BertLayout.shapes(config).entrySet()) {
            m.weights.put(e.getKey(), DjlEngine.ownedFloats(manager, init(e.getKey(), e.getValue(), rnd), new Shape(e.getValue())));
        }
        return m;
    }

    private static float[] init(String name, long[] shape, Random rnd) {
        float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
        if (name.contains("LayerNorm.weight")) {
            Arrays.fill(v, 1f);
        } else if (!name.endsWith(".bias") && !name.contains("LayerNorm")) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rnd.nextGaussian() * 0.02);
            }
        }
        return v;
    }

    NDManager manager() {
        return manager;
    }

    public BertConfig config() {
        return config;
    }

    public boolean hasClassifier() {
        return classifierWeight != null;
    }

    public int classes() {
        return classifierWeight == null ? 0 : (int) classifierWeight.getShape().get(0);
    }

    /** A fresh classifier for {@code classes} labels (normal 0.02, bias 0), replacing any loaded one. */
    public void newClassifier(int classes, long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[classes * config.hiddenSize()];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.02);
        }
        closeClassifier();
        classifierWeight = DjlEngine.ownedFloats(manager, w, new Shape(classes, config.hiddenSize()));
        classifierBias = DjlEngine.ownedFloats(manager, new float[classes], new Shape(classes));
    }

    private void closeClassifier() {
        if (classifierWeight != null) {
            classifierWeight.close();
            classifierBias.close();
        }
    }

    /**
     * Adds LoRA adapters as PEFT initialises them (A Kaiming-uniform with bound {@code 1/sqrt(in)}, B zero,
     * so the adapted model starts equal to the base) on every layer's modules whose path ends with one of
     * the targets ({@code query, value} when none are given).
     */
    public void addLora(LoraConfig lc, long seed) {
        if (!lora.isEmpty()) {
            throw new KeelException("LoRA adapters are already attached to this model; attach them once");
        }
        List<String> targets = lc.targetModules().isEmpty() ? List.of("query", "value") : lc.targetModules();
        Random rnd = new Random(seed);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            for (String module : LINEAR_MODULES) {
                if (targets.stream().noneMatch(t -> module.equals(t) || module.endsWith("." + t))) {
                    continue;
                }
                String path = BertLayout.layer(i, module);
                long[] shape = weights.get(path + ".weight").getShape().getShape();
                int out = (int) shape[0];
                int in = (int) shape[1];
                float[] a = LoraAdapter.initialA(lc.rank(), in, rnd);
                lora.put(path, new NDArray[] {DjlEngine.ownedFloats(manager, a, new Shape(lc.rank(), in)),
                    DjlEngine.ownedFloats(manager, new float[out * lc.rank()], new Shape(out, lc.rank()))});
            }
        }
        if (lora.isEmpty()) {
            throw new InvalidInputException("LoRA targets " + targets + " match no bert module; use names among "
                    + "query, key, value, dense (or full paths such as attention.output.dense)");
        }
        loraConfig = lc;
        loraScale = DjlEngine.scalar(manager, (float) lc.scaling());
    }

    /** Attaches trained adapters read from PEFT files (for unmerged serving and equivalence checks). */
    public void loadLora(LoraAdapter adapter) {
        if (!lora.isEmpty()) {
            throw new KeelException("LoRA adapters are already attached to this model; attach them once");
        }
        loraConfig = new LoraConfig(adapter.rank(), adapter.alpha(), 0, List.of());
        loraScale = DjlEngine.scalar(manager, (float) adapter.scaling());
        for (String module : adapter.modules()) {
            String path = module.startsWith(SEQ_CLS_PREFIX) ? module.substring(SEQ_CLS_PREFIX.length()) : module;
            if (!weights.containsKey(path + ".weight")) {
                throw new CheckpointException("adapter module '" + module + "' is not a bert projection");
            }
            Tensor a = adapter.loraA(module);
            Tensor b = adapter.loraB(module);
            lora.put(path, new NDArray[] {DjlEngine.ownedFloats(manager, a.toFloats(), new Shape(a.shape())),
                DjlEngine.ownedFloats(manager, b.toFloats(), new Shape(b.shape()))});
        }
        Map<String, Tensor> saved = adapter.savedModules();
        if (saved.containsKey(ClassifierHead.WEIGHT)) {
            closeClassifier();
            Tensor w = saved.get(ClassifierHead.WEIGHT);
            Tensor b = saved.get(ClassifierHead.BIAS);
            classifierWeight = DjlEngine.ownedFloats(manager, w.toFloats(), new Shape(w.shape()));
            classifierBias = DjlEngine.ownedFloats(manager, b.toFloats(), new Shape(b.shape()));
        }
    }

    public LoraConfig loraConfig() {
        return loraConfig;
    }

    /** The last hidden states {@code [batch, length, hidden]}. */
    NDArray hidden(BertBatch b, boolean training) {
        int h = config.hiddenSize();
        NDArray positions = manager.arange(b.length).toType(ai.djl.ndarray.types.DataType.INT64, false);
        NDArray x = Embedding.embedding(b.ids, w("embeddings.word_embeddings.weight"), SparseFormat.DENSE)
                .singletonOrThrow()
                .add(Embedding.embedding(positions, w("embeddings.position_embeddings.weight"), SparseFormat.DENSE)
                        .singletonOrThrow())
                .add(Embedding.embedding(b.typeIds, w("embeddings.token_type_embeddings.weight"), SparseFormat.DENSE)
                        .singletonOrThrow());
        x = layerNorm(x, "embeddings.LayerNorm");
        x = dropout(x, config.hiddenDropout(), training);
        int heads = config.numAttentionHeads();
        int d = h / heads;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            NDArray q = split(linear(x, p + "attention.self.query", training), b, heads, d);
            NDArray k = split(linear(x, p + "attention.self.key", training), b, heads, d);
            NDArray v = split(linear(x, p + "attention.self.value", training), b, heads, d);
            NDArray scores = q.mul(attentionScale).matMul(k.transpose(0, 1, 3, 2)).add(b.additiveMask);
            NDArray probs = dropout(scores.softmax(-1), config.attentionDropout(), training);
            NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(new Shape(b.batch, b.length, h));
            NDArray attn = dropout(linear(ctx, p + "attention.output.dense", training), config.hiddenDropout(), training);
            x = layerNorm(attn.add(x), p + "attention.output.LayerNorm");
            NDArray inter = Activation.gelu(linear(x, p + "intermediate.dense", training));
            NDArray out = dropout(linear(inter, p + "output.dense", training), config.hiddenDropout(), training);
            x = layerNorm(out.add(x), p + "output.LayerNorm");
        }
        return x;
    }

    /** Mean of the hidden states over real tokens, {@code [batch, hidden]}. */
    static NDArray meanPool(NDArray hidden, BertBatch b) {
        NDArray m = b.mask.expandDims(-1);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}));
    }

    NDArray logits(NDArray pooled, boolean training) {
        if (classifierWeight == null) {
            throw new InvalidInputException("this bert model has no classifier; adapt it with --task classify first");
        }
        return Linear.linear(dropout(pooled, config.hiddenDropout(), training), classifierWeight, classifierBias)
                .singletonOrThrow();
    }

    private NDArray split(NDArray x, BertBatch b, int heads, int d) {
        return x.reshape(new Shape(b.batch, b.length, heads, d)).transpose(0, 2, 1, 3);
    }

    private NDArray linear(NDArray x, String module, boolean training) {
        NDArray y = Linear.linear(x, w(module + ".weight"), w(module + ".bias")).singletonOrThrow();
        NDArray[] ab = lora.get(module);
        if (ab != null) {
            NDArray in = dropout(x, loraConfig == null ? 0 : loraConfig.dropout(), training);
            NDArray update = Linear.linear(Linear.linear(in, ab[0]).singletonOrThrow(), ab[1]).singletonOrThrow();
            y = y.add(update.mul(loraScale));
        }
        return y;
    }

    private NDArray layerNorm(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), w(name + ".weight"), w(name + ".bias"),
                (float) config.layerNormEps()).singletonOrThrow();
    }

    private static NDArray dropout(NDArray x, double rate, boolean training) {
        return training && rate > 0 ? Dropout.dropout(x, (float) rate, true).singletonOrThrow() : x;
    }

    private NDArray w(String name) {
        return weights.get(name);
    }

    /**
     * The arrays a method trains, by checkpoint name: everything, the adapters and classifier, or the
     * classifier alone.
     */
    public Map<String, NDArray> trainable(AdaptationMethod method) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (method == AdaptationMethod.FULL) {
            out.putAll(weights);
        }
        if (method == AdaptationMethod.LORA) {
            if (lora.isEmpty()) {
                throw new KeelException("LoRA training needs adapters: call addLora before training with --method lora");
            }
            lora.forEach((module, ab) -> {
                out.put(module + ".lora_A.weight", ab[0]);
                out.put(module + ".lora_B.weight", ab[1]);
            });
        }
        if (classifierWeight != null) {
            out.put("classifier.weight", classifierWeight);
            out.put("classifier.bias", classifierBias);
        }
        return out;
    }

    /** Every parameter: encoder, adapters and classifier. */
    public long parameterCount() {
        long n = 0;
        for (NDArray a : weights.values()) {
            n += a.size();
        }
        for (NDArray[] ab : lora.values()) {
            n += ab[0].size() + ab[1].size();
        }
        return classifierWeight == null ? n : n + classifierWeight.size() + classifierBias.size();
    }

    public static long count(java.util.Collection<NDArray> arrays) {
        return arrays.stream().mapToLong(NDArray::size).sum();
    }

    /** The encoder's tensors under {@code prefix} ("" or {@code bert.}). */
    public List<Tensor> encoderTensors(String prefix) {
        List<Tensor> out = new ArrayList<>();
        weights.forEach((name, a) -> out.add(tensor(prefix + name, a)));
        return out;
    }

    public List<Tensor> classifierTensors() {
        if (classifierWeight == null) {
            return List.of();
        }
        return List.of(tensor(ClassifierHead.WEIGHT, classifierWeight), tensor(ClassifierHead.BIAS, classifierBias));
    }

    /** The adapters and classifier under PEFT's names for a sequence classifier. */
    public Map<String, Tensor> peftTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        lora.forEach((module, ab) -> {
            String base = LoraAdapter.PREFIX + SEQ_CLS_PREFIX + module;
            out.put(base + ".lora_A.weight", tensor(base + ".lora_A.weight", ab[0]));
            out.put(base + ".lora_B.weight", tensor(base + ".lora_B.weight", ab[1]));
        });
        for (Tensor t : classifierTensors()) {
            out.put(LoraAdapter.PREFIX + t.name(), new Tensor(LoraAdapter.PREFIX + t.name(), t.dtype(), t.shape(), t.data()));
        }
        return out;
    }

    /** PEFT's target module names for the attached adapters (the last path component). */
    public List<String> loraTargets() {
        return lora.keySet().stream().map(m -> m.substring(m.lastIndexOf('.') + 1)).distinct().toList();
    }

    static Tensor tensor(String name, NDArray a) {
        return Tensor.ofFloats(name, a.getShape().getShape(), a.toFloatArray());
    }

    @Override
    public void close() {
        manager.close();
    }
}
