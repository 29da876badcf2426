package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.model.BertConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Tensor names and layouts of Hugging Face's {@code BertModel} (as {@code sentence-transformers/all-MiniLM-L6-v2}
 * stores it). Linear weights are {@code nn.Linear}: stored as {@code [out, in]}. A sequence-classification
 * model prefixes the encoder with {@code bert.} and adds {@code classifier.weight [labels, hidden]} and
 * {@code classifier.bias}.
 * <pre>
 *   embeddings.word_embeddings.weight        [vocab, hidden]
 *   embeddings.position_embeddings.weight    [max_positions, hidden]
 *   embeddings.token_type_embeddings.weight  [type_vocab, hidden]
 *   embeddings.LayerNorm.weight|bias         [hidden]
 *   encoder.layer.{i}.attention.self.query|key|value.weight [hidden, hidden]  bias [hidden]
 *   encoder.layer.{i}.attention.output.dense.weight         [hidden, hidden]  bias [hidden]
 *   encoder.layer.{i}.attention.output.LayerNorm.weight|bias [hidden]
 *   encoder.layer.{i}.intermediate.dense.weight              [intermediate, hidden]  bias [intermediate]
 *   encoder.layer.{i}.output.dense.weight                    [hidden, intermediate]  bias [hidden]
 *   encoder.layer.{i}.output.LayerNorm.weight|bias           [hidden]
 *   pooler.dense.weight [hidden, hidden], pooler.dense.bias [hidden]   (optional)
 * </pre>
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class BertLayout {
    private BertLayout() { }

    public static String layer(int i, String rest) {
        return "encoder.layer." + i + "." + rest;
    }

    /** The encoder's tensor names and shapes (pooler excluded: sentence embeddings do not use it). */
    public static Map<String, long[]> shapes(BertConfig c) {
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        m.put("embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), h});
        m.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
        m.put("embeddings.LayerNorm.weight", new long[] {h});
        m.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            for (String p : new String[] {"query", "key", "value"}) {
                m.put(layer(i, "attention.self." + p + ".weight"), new long[] {h, h});
                m.put(layer(i, "attention.self." + p + ".bias"), new long[] {h});
            }
            m.put(layer(i, "attention.output.dense.weight"), new long[] {h, h});
            m.put(layer(i, "attention.output.dense.bias"), new long[] {h});
            m.put(layer(i, "attention.output.LayerNorm.weight"), new long[] {h});
            m.put(layer(i, "attention.output.LayerNorm.bias"), new long[] {h});
            m.put(layer(i, "intermediate.dense.weight"), new long[] {f, h});
            m.put(layer(i, "intermediate.dense.bias"), new long[] {f});
            m.put(layer(i, "output.dense.weight"), new long[] {h, f});
            m.put(layer(i, "output.dense.bias"), new long[] {h});
            m.put(layer(i, "output.LayerNorm.weight"), new long[] {h});
            m.put(layer(i, "output.LayerNorm.bias"), new long[] {h});
        }
        return m;
    }
}
