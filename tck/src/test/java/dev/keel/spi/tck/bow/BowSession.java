package dev.keel.spi.tck.bow;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.infer.SessionBase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A bag-of-word-embeddings session on {@link SessionBase}, which gives it the lock, admission and events. */
final class BowSession extends SessionBase {
    private final Tokenizer tokenizer;
    private final float[] table;
    private final int hidden;
    private final int positions;

    BowSession(Path folder, BertConfig config, SessionOptions options, String backend) {
        super(new ModelInfo(config, backend, options.device(), ModelFolder.readMetadata(folder).modelVersion(), folder),
                options);
        Map<String, Tensor> weights = ModelFolder.readWeights(folder).tensors();
        Tensor words = weights.getOrDefault("embeddings.word_embeddings.weight",
                weights.get("bert.embeddings.word_embeddings.weight"));
        if (words == null) {
            throw new CheckpointException(folder + " has no embeddings.word_embeddings.weight; is it a bert folder?");
        }
        this.table = words.toFloats();
        this.hidden = config.hiddenSize();
        this.positions = config.maxPositionEmbeddings();
        this.tokenizer = ModelFolder.readTokenizer(folder);
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions options) {
        return call(Operation.EMBED, texts, call -> {
            requireTexts(texts);
            require(options, "embedding options", "pass EmbeddingOptions.defaults()");
            List<Encoding> encodings = tokenizer.encodeBatch(texts, Math.min(options.maxLength(), positions));
            float[][] vectors = new float[texts.size()][hidden];
            for (int i = 0; i < vectors.length; i++) {
                Encoding e = encodings.get(i);
                if (e.length() == 0) {
                    throw new InvalidInputException("text " + i + " is empty: it has no token to average");
                }
                for (int t = 0; t < e.length(); t++) {
                    for (int j = 0; j < hidden; j++) {
                        vectors[i][j] += table[Math.toIntExact(e.id(t)) * hidden + j] / e.length();
                    }
                }
                if (options.normalize()) {
                    double norm = 0;
                    for (float v : vectors[i]) {
                        norm += v * v;
                    }
                    for (int j = 0; j < hidden; j++) {
                        vectors[i][j] = (float) (vectors[i][j] / Math.sqrt(norm));
                    }
                }
            }
            long tokens = encodings.stream().mapToLong(Encoding::length).sum();
            call.event().inputTokens(tokens);
            return new EmbeddingResult(call.id(), vectors, tokens);
        });
    }

    @Override
    protected void release() {
        // nothing native to free
    }
}
