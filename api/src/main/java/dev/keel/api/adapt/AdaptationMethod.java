package dev.keel.api.adapt;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import org.apiguardian.api.API;

/** How much of the base model a fine-tune changes. */
@API(status = STABLE, since = "0.1")
public enum AdaptationMethod {
    /** Every weight is trainable. */
    FULL,
    /** Low-rank adapters on chosen projections; the base is frozen. */
    LORA,
    /** A task head on frozen features; works over any inference session. */
    HEAD;

    /**
     * Reads the command line's spelling (case-insensitive): head, lora or full.
     *
     * @throws InvalidInputException for any other text
     */
    public static AdaptationMethod parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new InvalidInputException("unknown adaptation method '" + text + "'; expected head, lora or full");
        }
    }
}
