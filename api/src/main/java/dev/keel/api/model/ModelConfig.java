package dev.keel.api.model;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.CheckpointException;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The architecture hyper-parameters of a model, as {@code config.json} stores them.
 * Implementations map to and from Hugging Face's key names so real checkpoints load as they are.
 */
@API(status = STABLE, since = "0.1")
public interface ModelConfig {
    ModelFamily family();

    int vocabSize();

    /** The longest sequence the model accepts (positions). */
    int maxPositions();

    /** The config as Hugging Face's {@code config.json} spells it, {@code model_type} included. */
    Map<String, Object> toHfConfig();

    /**
     * Reads a Hugging Face style config map, choosing the type by {@code model_type}.
     *
     * @throws CheckpointException when the map lacks a key, holds a value out of range, or names a family Keel
     *         does not know
     */
    static ModelConfig fromHfConfig(Map<String, ?> map) {
        Object type = map.get("model_type");
        if (type == null) {
            throw new CheckpointException("config.json has no \"model_type\"; expected \"gpt2\" or \"bert\"");
        }
        ModelFamily family = ModelFamily.of(type.toString());
        try {
            if (family.equals(ModelFamily.GPT2)) {
                Gpt2Config c = Gpt2Config.fromHfConfig(map);
                if (c.vocabSize() <= 0) {
                    throw new CheckpointException("config.json has vocab_size " + c.vocabSize()
                            + "; a saved model needs its vocabulary size");
                }
                return c;
            }
            if (family.equals(ModelFamily.BERT)) {
                return BertConfig.fromHfConfig(map);
            }
        } catch (dev.keel.api.InvalidInputException e) {
            throw new CheckpointException("config.json is not a valid " + family + " config: " + e.getMessage(), e);
        }
        throw new CheckpointException("config.json names model_type \"" + type
                + "\", which Keel does not know; supported families: gpt2, bert");
    }

    /** Reads an integer value, failing with a message that names the key. */
    static int intValue(Map<String, ?> map, String key, Integer fallback) {
        Object v = map.get(key);
        if (v == null) {
            if (fallback == null) {
                throw new CheckpointException("config.json lacks required key \"" + key + "\"");
            }
            return fallback;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        throw new CheckpointException("config.json key \"" + key + "\" is " + v + "; expected a number");
    }

    /** Reads a floating point value, failing with a message that names the key. */
    static double doubleValue(Map<String, ?> map, String key, double fallback) {
        Object v = map.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new CheckpointException("config.json key \"" + key + "\" is " + v + "; expected a number");
    }
}
