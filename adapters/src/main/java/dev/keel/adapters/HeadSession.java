package dev.keel.adapters;

import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.BertConfig;
import dev.keel.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier made of any backend's embedding session and a {@link ClassifierHead} evaluated in Java: the
 * serving side of the {@code head} method, and the reason a folder adapted over ONNX Runtime (which cannot
 * train) still classifies there. Thread-safe when the base session is; closing it closes the base.
 */
public final class HeadSession implements InferenceSession {
    /** Texts per embed call, so a large input never becomes one huge engine batch. */
    static final int CHUNK = 64;

    private final InferenceSession base;
    private final ClassifierHead head;
    private final Labels labels;
    private final int maxLength;
    private final ModelInfo info;

    public HeadSession(InferenceSession base, ClassifierHead head, Labels labels, int maxLength, ModelInfo info) {
        this.base = base;
        this.head = head;
        this.labels = labels;
        this.maxLength = maxLength;
        this.info = info;
        if (head.classes() != labels.size()) {
            throw new dev.keel.api.CheckpointException("the head has " + head.classes() + " outputs but the folder "
                    + "names " + labels.size() + " labels " + labels + "; re-run keel adapt");
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** The classes, in the head's output order; the base's config has none for a gpt2 base. */
    public Labels labels() {
        return labels;
    }

    @Override
    public Tokenizer tokenizer() {
        return base.tokenizer();
    }

    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions options) {
        return base.embed(texts, options);
    }

    @Override
    public ClassificationResult classify(List<String> texts) {
        List<Prediction> out = new ArrayList<>(texts.size());
        String id = null;
        for (int start = 0; start < texts.size(); start += CHUNK) {
            EmbeddingResult r = base.embed(texts.subList(start, Math.min(texts.size(), start + CHUNK)),
                    new EmbeddingOptions(false, maxLength));
            id = id == null ? r.inferenceId() : id;
            for (float[] v : r.vectors()) {
                double[] p = head.probabilities(v);
                int k = ClassificationMetrics.argmax(p);
                out.add(new Prediction(labels.name(k), k, p[k], p));
            }
        }
        return new ClassificationResult(id, out);
    }

    /** The base's info with the labels and this folder, so callers see what they serve. */
    static ModelInfo describe(ModelInfo baseInfo, Labels labels, java.nio.file.Path folder, String version) {
        var config = baseInfo.config() instanceof BertConfig b ? b.withLabels(labels.names()) : baseInfo.config();
        return new ModelInfo(config, baseInfo.backend(), baseInfo.device(), version, folder);
    }

    @Override
    public void close() {
        base.close();
    }
}
