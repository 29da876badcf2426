package dev.keel.api.adapt;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import org.apiguardian.api.API;

/**
 * Per-class loss weights for classification against class imbalance. {@link #label()} is the command line's
 * spelling ({@code --class-weights auto|balanced|none}).
 */
@API(status = STABLE, since = "0.1")
public enum ClassWeighting {
    /** {@link #BALANCED} when the largest class has more than 1.5 times the examples of the smallest, else none. */
    AUTO,
    /** scikit-learn's rule, {@code n / (classes * count[c])}: every class carries the same total weight. */
    BALANCED,
    /** Every example weighs the same. */
    NONE;

    /** {@code auto}, {@code balanced} or {@code none}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }

    /**
     * Reads the command line's spelling (case-insensitive).
     *
     * @throws InvalidInputException for any other text
     */
    public static ClassWeighting parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new InvalidInputException("unknown class weighting '" + text + "'; expected auto, balanced or none");
        }
    }
}
