package dev.keel.api.infer;

import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.tokenize.Tokenizer;
import java.util.List;

/**
 * Stage three: a model opened in-process, safe to call from many threads at once. Each call emits one
 * {@link dev.keel.api.monitor.InferenceEvent} to the session's listeners and returns an inference id that
 * feedback can refer to. Operations a model family does not have throw
 * {@link UnsupportedCapabilityException}; close the session to free engine memory.
 */
public interface InferenceSession extends AutoCloseable {
    ModelInfo info();

    Tokenizer tokenizer();

    /** Samples a continuation of the prompt, streaming each decoded piece to {@code listener}. */
    default GenerationResult generate(GenerationRequest request, TokenListener listener) {
        throw unsupported("generate");
    }

    default GenerationResult generate(GenerationRequest request) {
        return generate(request, TokenListener.NONE);
    }

    /** Sentence vectors (mean-pooled over real tokens for encoders). */
    default EmbeddingResult embed(List<String> texts, EmbeddingOptions options) {
        throw unsupported("embed");
    }

    default EmbeddingResult embed(List<String> texts) {
        return embed(texts, EmbeddingOptions.defaults());
    }

    /** Class predictions, for a model adapted to classification. */
    default ClassificationResult classify(List<String> texts) {
        throw unsupported("classify");
    }

    /** Mean next-token loss over a corpus split, in non-overlapping blocks (deterministic). */
    default EvaluationResult evaluate(TextCorpus corpus, Split split) {
        throw unsupported("evaluate");
    }

    /**
     * Raw next-token logits {@code [positions][vocab]} for one token sequence; the basis of cross-backend
     * parity checks.
     */
    default float[][] logits(int[] tokens) {
        throw unsupported("logits");
    }

    /** Frees the engine's resources; calls after close fail. */
    @Override
    void close();

    private UnsupportedCapabilityException unsupported(String operation) {
        ModelInfo info = info();
        return new UnsupportedCapabilityException("backend '" + info.backend() + "' cannot " + operation
                + " with a " + info.config().family() + " model; "
                + switch (operation) {
                    case "generate", "evaluate" -> "use a gpt2 (causal LM) model";
                    case "classify" -> "adapt the model for classification first (keel adapt --task classify)";
                    case "embed" -> "use a bert or gpt2 model on a backend that embeds it (keel backends), e.g. "
                            + "builtin:all-minilm-l6-v2";
                    default -> "use another backend (keel backends lists what each can do)";
                });
    }
}
