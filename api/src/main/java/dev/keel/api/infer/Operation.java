package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import org.apiguardian.api.API;

/**
 * The calls an {@link InferenceSession} serves; each call reports one
 * {@link dev.keel.api.monitor.InferenceEvent} naming its operation. {@link #label()} is the lower-case name
 * metrics, JSON and logs use ({@code generate}, {@code embed}, ...).
 */
@API(status = STABLE, since = "0.1")
public enum Operation {
    /** {@link InferenceSession#generate}. */
    GENERATE,
    /** {@link InferenceSession#embed}. */
    EMBED,
    /** {@link InferenceSession#classify}. */
    CLASSIFY,
    /** {@link InferenceSession#evaluate}. */
    EVALUATE,
    /** {@link InferenceSession#logits}. */
    LOGITS;

    /** The lower-case name, as metrics and JSON spell it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }

    /**
     * Reads a label back ({@code classify}, case-insensitive).
     *
     * @throws InvalidInputException for any other text
     */
    public static Operation parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new InvalidInputException("unknown operation '" + text
                    + "'; expected generate, embed, classify, evaluate or logits");
        }
    }
}
