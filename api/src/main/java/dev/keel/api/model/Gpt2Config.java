package dev.keel.api.model;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * GPT-2 hyper-parameters with Hugging Face's names ({@code n_embd}, {@code n_layer}, ...).
 *
 * @param vocabSize   tokens in the vocabulary; 0 for an architecture still to be paired with a tokenizer
 *                    (a pre-trainer sets it from the tokenizer, see {@link #withVocabSize})
 * @param nPositions  the context length (block size)
 * @param nEmbd       the embedding width
 * @param nLayer      transformer blocks
 * @param nHead       attention heads; must divide {@code nEmbd}
 * @param dropout     one dropout rate for residual, embedding and attention dropout
 * @param bias        whether linear layers and layer norms carry biases (GPT-2 does)
 * @param layerNormEpsilon the layer norm epsilon
 */
@API(status = STABLE, since = "0.1")
public record Gpt2Config(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, double dropout,
        boolean bias, double layerNormEpsilon) implements ModelConfig {

    /**
     * @throws InvalidInputException when a setting is out of range; the message names it and its value
     */
    public Gpt2Config {
        require(vocabSize >= 0, "vocab_size must be positive (or 0 to take it from the tokenizer), got " + vocabSize);
        require(nPositions > 0, "n_positions (block size) must be positive, got " + nPositions);
        require(nEmbd > 0 && nLayer > 0 && nHead > 0, "n_embd, n_layer and n_head must be positive, got n_embd "
                + nEmbd + ", n_layer " + nLayer + ", n_head " + nHead);
        require(nEmbd % nHead == 0, "n_embd " + nEmbd + " is not divisible by n_head " + nHead
                + "; pick heads that divide the embedding width");
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
        require(layerNormEpsilon > 0, "layer_norm_epsilon must be positive, got " + layerNormEpsilon);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ModelFamily family() {
        return ModelFamily.GPT2;
    }

    @Override
    public int maxPositions() {
        return nPositions;
    }

    /** The same architecture with a vocabulary of {@code size} tokens (a tokenizer's). */
    public Gpt2Config withVocabSize(int size) {
        return new Gpt2Config(size, nPositions, nEmbd, nLayer, nHead, dropout, bias, layerNormEpsilon);
    }

    public int headSize() {
        return nEmbd / nHead;
    }

    /** Parameters, counting the tied LM head once (as nanoGPT reports, position embeddings included). */
    public long parameterCount() {
        long e = nEmbd;
        long perLayer = 12 * e * e + (bias ? 13 * e : 4 * e);
        return (long) vocabSize * e + (long) nPositions * e + nLayer * perLayer + (bias ? 2 * e : e);
    }

    @Override
    public Map<String, Object> toHfConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "gpt2");
        m.put("architectures", List.of("GPT2LMHeadModel"));
        m.put("vocab_size", vocabSize);
        m.put("n_positions", nPositions);
        m.put("n_ctx", nPositions);
        m.put("n_embd", nEmbd);
        m.put("n_layer", nLayer);
        m.put("n_head", nHead);
        m.put("n_inner", null);
        m.put("activation_function", "gelu_new");
        m.put("resid_pdrop", dropout);
        m.put("embd_pdrop", dropout);
        m.put("attn_pdrop", dropout);
        m.put("layer_norm_epsilon", layerNormEpsilon);
        m.put("tie_word_embeddings", true);
        m.put("keel_bias", bias);
        return m;
    }

    public static Gpt2Config fromHfConfig(Map<String, ?> m) {
        Object bias = m.get("keel_bias");
        return new Gpt2Config(
                ModelConfig.intValue(m, "vocab_size", null),
                ModelConfig.intValue(m, "n_positions", ModelConfig.intValue(m, "n_ctx", 1024)),
                ModelConfig.intValue(m, "n_embd", null),
                ModelConfig.intValue(m, "n_layer", null),
                ModelConfig.intValue(m, "n_head", null),
                ModelConfig.doubleValue(m, "resid_pdrop", 0.0),
                bias == null || Boolean.parseBoolean(bias.toString()),
                ModelConfig.doubleValue(m, "layer_norm_epsilon", 1e-5));
    }

    /**
     * Builder with nanoGPT's small character-level defaults. The vocabulary size may be left out: a
     * pre-trainer takes it from the tokenizer, as {@link dev.keel.api.train.PretrainSpec} says.
     */
    public static final class Builder {
        private int vocabSize = 0;
        private int nPositions = 64;
        private int nEmbd = 128;
        private int nLayer = 4;
        private int nHead = 4;
        private double dropout = 0.0;
        private boolean bias = true;
        private double layerNormEpsilon = 1e-5;

        public Builder vocabSize(int v) { this.vocabSize = v; return this; }
        public Builder blockSize(int v) { this.nPositions = v; return this; }
        public Builder embedding(int v) { this.nEmbd = v; return this; }
        public Builder layers(int v) { this.nLayer = v; return this; }
        public Builder heads(int v) { this.nHead = v; return this; }
        public Builder dropout(double v) { this.dropout = v; return this; }
        public Builder bias(boolean v) { this.bias = v; return this; }
        public Builder layerNormEpsilon(double v) { this.layerNormEpsilon = v; return this; }

        /**
         * @throws InvalidInputException when a setting is out of range (see {@link Gpt2Config})
         */
        public Gpt2Config build() {
            return new Gpt2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, dropout, bias, layerNormEpsilon);
        }
    }
}
