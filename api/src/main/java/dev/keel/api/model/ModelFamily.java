package dev.keel.api.model;

import java.util.Locale;
import java.util.Objects;

/**
 * A model architecture, named as Hugging Face's {@code config.json} names it in {@code model_type}.
 * Open-ended: a plugin may bring a family Keel does not know; backends declare which they support.
 */
public record ModelFamily(String modelType) {
    /** Decoder-only causal language model (GPT-2 layout). */
    public static final ModelFamily GPT2 = new ModelFamily("gpt2");
    /** Bidirectional encoder (BERT layout; all-MiniLM-L6-v2 is one). */
    public static final ModelFamily BERT = new ModelFamily("bert");

    public ModelFamily {
        Objects.requireNonNull(modelType, "modelType");
        modelType = modelType.trim().toLowerCase(Locale.ROOT);
    }

    public static ModelFamily of(String modelType) {
        return new ModelFamily(modelType);
    }

    @Override
    public String toString() {
        return modelType;
    }
}
