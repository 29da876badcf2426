package dev.keel.api.model;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.Locale;
import org.apiguardian.api.API;

/**
 * A model architecture, named as Hugging Face's {@code config.json} names it in {@code model_type}.
 * Open-ended: a plugin may bring a family Keel does not know; backends declare which they support.
 */
@API(status = STABLE, since = "0.1")
public record ModelFamily(String modelType) {
    /** Decoder-only causal language model (GPT-2 layout). */
    public static final ModelFamily GPT2 = new ModelFamily("gpt2");
    /** Bidirectional encoder (BERT layout; all-MiniLM-L6-v2 is one). */
    public static final ModelFamily BERT = new ModelFamily("bert");

    public ModelFamily {
        if (modelType == null || modelType.isBlank()) {
            throw new dev.keel.api.InvalidInputException("model family is empty; name it as config.json's model_type "
                    + "does (gpt2, bert)");
        }
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
