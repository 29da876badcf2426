package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.SessionBusyException;
import dev.keel.api.SessionClosedException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.tokenize.Tokenizer;
import java.util.List;
import org.apiguardian.api.API;

/**
 * Stage three: a model opened in-process, safe to call from many threads at once. Each call, failed or not,
 * emits exactly one {@link dev.keel.api.monitor.InferenceEvent} to the session's listeners, naming the
 * {@link Operation} the caller invoked and carrying the inference id the call returned (so feedback on that
 * id reaches the monitors). Operations a model does not have throw {@link UnsupportedCapabilityException};
 * close the session to free engine memory.
 *
 * <p>Every method throws only {@link KeelException}s: {@link InvalidInputException} for bad arguments,
 * {@link SessionClosedException} after {@link #close()}, {@link SessionBusyException} when
 * {@link SessionOptions#maxQueue()} calls are already in flight, and a plain {@link KeelException} when the
 * engine fails.
 */
@API(status = STABLE, since = "0.1")
public interface InferenceSession extends AutoCloseable {
    ModelInfo info();

    Tokenizer tokenizer();

    /**
     * Samples a continuation of the prompt, streaming each decoded piece to {@code listener}.
     *
     * @throws InvalidInputException when the request is null, or the prompt cannot start a generation (an empty
     *         prompt with a tokenizer that has no end-of-text token)
     * @throws UnsupportedCapabilityException when the model is not a causal LM
     */
    default GenerationResult generate(GenerationRequest request, TokenListener listener) {
        throw unsupported(Operation.GENERATE);
    }

    /**
     * {@link #generate(GenerationRequest, TokenListener)} without streaming.
     *
     * @throws InvalidInputException when the request is null or cannot start a generation
     * @throws UnsupportedCapabilityException when the model is not a causal LM
     */
    default GenerationResult generate(GenerationRequest request) {
        return generate(request, TokenListener.NONE);
    }

    /**
     * Sentence vectors (mean-pooled over real tokens).
     *
     * @throws InvalidInputException when the list, a text or the options are null, or a text has no tokens to
     *         pool (an empty text for a gpt2 model)
     * @throws UnsupportedCapabilityException when the model does not embed on this backend
     */
    default EmbeddingResult embed(List<String> texts, EmbeddingOptions options) {
        throw unsupported(Operation.EMBED);
    }

    /**
     * {@link #embed(List, EmbeddingOptions)} with {@link EmbeddingOptions#defaults()}.
     *
     * @throws InvalidInputException when the list or a text is null, or a text has no tokens to pool
     * @throws UnsupportedCapabilityException when the model does not embed on this backend
     */
    default EmbeddingResult embed(List<String> texts) {
        return embed(texts, EmbeddingOptions.defaults());
    }

    /**
     * Class predictions, one per text in input order, for a model adapted to classification.
     *
     * @throws InvalidInputException when the list or a text is null
     * @throws UnsupportedCapabilityException when the model is not a classifier
     */
    default ClassificationResult classify(List<String> texts) {
        throw unsupported(Operation.CLASSIFY);
    }

    /**
     * Mean next-token loss over a corpus split, in non-overlapping blocks (deterministic).
     *
     * @throws InvalidInputException when the corpus or split is null, or the split is too short to score
     * @throws UnsupportedCapabilityException when the model is not a causal LM
     */
    default EvaluationResult evaluate(TextCorpus corpus, Split split) {
        throw unsupported(Operation.EVALUATE);
    }

    /**
     * Raw next-token logits {@code [positions][vocab]} for one token sequence; the basis of cross-backend
     * parity checks.
     *
     * @throws InvalidInputException when the tokens are null or empty, longer than the model's context, or
     *         outside its vocabulary
     * @throws UnsupportedCapabilityException when the model is not a causal LM
     */
    default float[][] logits(int[] tokens) {
        throw unsupported(Operation.LOGITS);
    }

    /** Frees the engine's resources, after calls in flight end; later calls throw {@link SessionClosedException}. */
    @Override
    void close();

    private UnsupportedCapabilityException unsupported(Operation operation) {
        ModelInfo info = info();
        return new UnsupportedCapabilityException("backend '" + info.backend() + "' cannot " + operation.label()
                + " with a " + info.config().family() + " model; "
                + switch (operation) {
                    case GENERATE, EVALUATE -> "use a gpt2 (causal LM) model";
                    case CLASSIFY -> "adapt the model for classification first (keel adapt --task classify)";
                    case EMBED -> "use a bert or gpt2 model on a backend that embeds it (keel backends), e.g. "
                            + "builtin:all-minilm-l6-v2";
                    case LOGITS -> "use a gpt2 (causal LM) model on a backend that serves it (keel backends)";
                });
    }
}
