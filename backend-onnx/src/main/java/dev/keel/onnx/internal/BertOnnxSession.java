package dev.keel.onnx.internal;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A BERT-family encoder on ONNX Runtime: sentence embeddings by attention-masked mean pooling of the last
 * hidden state (as sentence-transformers pools all-MiniLM-L6-v2), optionally L2-normalised. Thread-safe;
 * callers tokenize on their own threads and two inference threads batch their rows by length.
 */
final class BertOnnxSession extends SessionSupport {
    private final Tokenizer tokenizer;
    private final EmbeddingBatcher batcher;

    BertOnnxSession(OnnxModel model, SessionOptions options) {
        super(model, options);
        this.tokenizer = model.tokenizer();
        this.batcher = new EmbeddingBatcher(session, options.maxBatchSize(), options.maxQueue(),
                model.describe());
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions embedding) {
        return call(Operation.EMBED, texts, call -> {
            requireTexts(texts);
            require(embedding, "the embedding options", "pass EmbeddingOptions.defaults()");
            if (embedding.maxLength() < 2) {
                throw new InvalidInputException("max length must be at least 2 tokens (room for [CLS] and [SEP]), got "
                        + embedding.maxLength());
            }
            int maxLength = Math.min(embedding.maxLength(), info().config().maxPositions());
            long t0 = System.nanoTime();
            long tokens = 0;
            List<Encoding> encodings = new ArrayList<>(texts.size());
            for (String t : texts) {
                Encoding e = tokenizer.encodeForModel(t, maxLength);
                tokens += e.length();
                encodings.add(e);
            }
            long tokenized = System.nanoTime() - t0;
            call.tokenized(tokenized);
            call.event().inputTokens(tokens);
            EmbeddingBatcher.Request request = batcher.submit(encodings);
            await(request);
            long waited = System.nanoTime() - t0 - tokenized;
            call.queued(Math.max(0, waited - request.computeNanos.get()));
            float[][] vectors = request.vectors;
            if (embedding.normalize()) {
                for (float[] v : vectors) {
                    normalize(v);
                }
            }
            return new EmbeddingResult(call.id(), vectors, tokens);
        });
    }

    private static void await(EmbeddingBatcher.Request request) {
        try {
            request.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeelException("interrupted while waiting for embeddings", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof KeelException k) {
                throw k;
            }
            throw new KeelException("embedding failed: " + cause, cause);
        }
    }

    static void normalize(float[] v) {
        dev.keel.spi.infer.CausalPooling.normalized(v);
    }

    @Override
    protected void closeResources() {
        batcher.close();
    }
}
