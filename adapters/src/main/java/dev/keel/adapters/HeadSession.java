package dev.keel.adapters;

import dev.keel.api.CheckpointException;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.Prediction;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.infer.EventRelay;
import dev.keel.spi.infer.SessionBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier made of any backend's embedding session and a {@link ClassifierHead} evaluated in Java: the
 * serving side of the {@code head} method, and the reason a folder adapted over ONNX Runtime (which cannot
 * train) still classifies there. The base session's only listener is an {@link EventRelay}, so a
 * {@code classify} call reports one {@code classify} event (its predicted labels and confidences, under the
 * id it returns, the base's embedding time folded in), and an {@code embed} call one {@code embed} event,
 * never the base's events on top. Thread-safe when the base session is; closing it closes the base.
 */
public final class HeadSession extends SessionBase {
    /** Texts per embed call, so a large input never becomes one huge engine batch. */
    static final int CHUNK = 64;

    private final InferenceSession base;
    private final EventRelay relay;
    private final ClassifierHead head;
    private final Labels labels;
    private final int maxLength;

    /**
     * @param base    the embedding session, opened with {@code relay} as its only listener
     * @param relay   the base's listener
     * @param options the options the host opened the folder with (its listeners hear this session's calls)
     */
    HeadSession(InferenceSession base, EventRelay relay, ClassifierHead head, Labels labels, int maxLength,
            ModelInfo info, SessionOptions options) {
        super(info, options);
        this.base = base;
        this.relay = relay;
        this.head = head;
        this.labels = labels;
        this.maxLength = maxLength;
        if (head.classes() != labels.size()) {
            throw new CheckpointException("the head has " + head.classes() + " outputs but the folder names "
                    + labels.size() + " labels " + labels + "; re-run keel adapt");
        }
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
        return call(Operation.EMBED, texts, call -> {
            EventRelay.Captured<EmbeddingResult> r = relay.capture(() -> base.embed(texts, options));
            call.absorb(r.events());
            return r.value().withInferenceId(call.id());
        });
    }

    @Override
    public ClassificationResult classify(List<String> texts) {
        return call(Operation.CLASSIFY, texts, call -> {
            requireTexts(texts);
            List<Prediction> out = new ArrayList<>(texts.size());
            EmbeddingOptions features = new EmbeddingOptions(false, maxLength);
            for (int start = 0; start < texts.size(); start += CHUNK) {
                List<String> chunk = texts.subList(start, Math.min(texts.size(), start + CHUNK));
                EventRelay.Captured<EmbeddingResult> r = relay.capture(() -> base.embed(chunk, features));
                call.absorb(r.events());
                EmbeddingResult vectors = r.value();
                for (int i = 0; i < vectors.size(); i++) {
                    double[] p = head.probabilities(vectors.vector(i));
                    int k = ClassificationMetrics.argmax(p);
                    out.add(new Prediction(labels.name(k), k, p[k], p));
                }
            }
            call.event().outputs(out.stream().map(Prediction::label).toList())
                    .confidences(out.stream().map(Prediction::confidence).toList());
            return new ClassificationResult(call.id(), out);
        });
    }

    /** The base's info with the labels and this folder, so callers see what they serve. */
    static ModelInfo describe(ModelInfo baseInfo, Labels labels, Path folder, String version) {
        var config = baseInfo.config() instanceof BertConfig b ? b.withLabels(labels.names()) : baseInfo.config();
        return new ModelInfo(config, baseInfo.backend(), baseInfo.device(), version, folder);
    }

    @Override
    protected void release() {
        base.close();
    }
}
