package dev.keel.api.model;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * BERT hyper-parameters with Hugging Face's names. all-MiniLM-L6-v2 is
 * {@code vocab 30522, hidden 384, layers 6, heads 12, intermediate 1536, positions 512}.
 */
@API(status = STABLE, since = "0.1")
public record BertConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
        int intermediateSize, int maxPositionEmbeddings, int typeVocabSize, double hiddenDropout,
        double attentionDropout, double layerNormEps, List<String> labels) implements ModelConfig {

    /**
     * @throws InvalidInputException when a size is not positive, the heads do not divide the hidden size, a
     *         dropout is outside [0, 1), or a label is null
     */
    public BertConfig {
        if (vocabSize <= 0 || hiddenSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0
                || intermediateSize <= 0 || maxPositionEmbeddings <= 0 || typeVocabSize <= 0) {
            throw new InvalidInputException("bert sizes must be positive; got vocab_size " + vocabSize
                    + ", hidden_size " + hiddenSize + ", num_hidden_layers " + numHiddenLayers
                    + ", num_attention_heads " + numAttentionHeads + ", intermediate_size " + intermediateSize
                    + ", max_position_embeddings " + maxPositionEmbeddings + ", type_vocab_size " + typeVocabSize);
        }
        if (hiddenSize % numAttentionHeads != 0) {
            throw new InvalidInputException("hidden_size " + hiddenSize
                    + " is not divisible by num_attention_heads " + numAttentionHeads);
        }
        if (!(hiddenDropout >= 0 && hiddenDropout < 1) || !(attentionDropout >= 0 && attentionDropout < 1)) {
            throw new InvalidInputException("bert dropouts must be in [0, 1); got hidden_dropout_prob " + hiddenDropout
                    + " and attention_probs_dropout_prob " + attentionDropout);
        }
        if (labels != null && labels.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidInputException("bert labels hold a null; name every class");
        }
        labels = labels == null ? List.of() : List.copyOf(labels);
    }

    /** The all-MiniLM-L6-v2 architecture. */
    public static BertConfig miniLmL6() {
        return new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 0.1, 0.1, 1e-12, List.of());
    }

    public BertConfig withLabels(List<String> newLabels) {
        return new BertConfig(vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
                maxPositionEmbeddings, typeVocabSize, hiddenDropout, attentionDropout, layerNormEps, newLabels);
    }

    @Override
    public ModelFamily family() {
        return ModelFamily.BERT;
    }

    @Override
    public int maxPositions() {
        return maxPositionEmbeddings;
    }

    @Override
    public Map<String, Object> toHfConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "bert");
        m.put("architectures", List.of(labels.isEmpty() ? "BertModel" : "BertForSequenceClassification"));
        m.put("vocab_size", vocabSize);
        m.put("hidden_size", hiddenSize);
        m.put("num_hidden_layers", numHiddenLayers);
        m.put("num_attention_heads", numAttentionHeads);
        m.put("intermediate_size", intermediateSize);
        m.put("hidden_act", "gelu");
        m.put("max_position_embeddings", maxPositionEmbeddings);
        m.put("type_vocab_size", typeVocabSize);
        m.put("hidden_dropout_prob", hiddenDropout);
        m.put("attention_probs_dropout_prob", attentionDropout);
        m.put("layer_norm_eps", layerNormEps);
        if (!labels.isEmpty()) {
            Map<String, Object> id2label = new LinkedHashMap<>();
            Map<String, Object> label2id = new LinkedHashMap<>();
            for (int i = 0; i < labels.size(); i++) {
                id2label.put(Integer.toString(i), labels.get(i));
                label2id.put(labels.get(i), i);
            }
            m.put("id2label", id2label);
            m.put("label2id", label2id);
        }
        return m;
    }

    public static BertConfig fromHfConfig(Map<String, ?> m) {
        List<String> labels = new java.util.ArrayList<>();
        if (m.get("id2label") instanceof Map<?, ?> id2label) {
            for (int i = 0; i < id2label.size(); i++) {
                Object l = id2label.get(Integer.toString(i));
                labels.add(l == null ? "LABEL_" + i : l.toString());
            }
        }
        return new BertConfig(
                ModelConfig.intValue(m, "vocab_size", null),
                ModelConfig.intValue(m, "hidden_size", null),
                ModelConfig.intValue(m, "num_hidden_layers", null),
                ModelConfig.intValue(m, "num_attention_heads", null),
                ModelConfig.intValue(m, "intermediate_size", null),
                ModelConfig.intValue(m, "max_position_embeddings", 512),
                ModelConfig.intValue(m, "type_vocab_size", 2),
                ModelConfig.doubleValue(m, "hidden_dropout_prob", 0.1),
                ModelConfig.doubleValue(m, "attention_probs_dropout_prob", 0.1),
                ModelConfig.doubleValue(m, "layer_norm_eps", 1e-12),
                labels);
    }
}
