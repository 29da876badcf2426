package dev.keel.api.data;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import org.apiguardian.api.API;

/** A part of a text corpus: the first 90% is {@code TRAIN}, the last 10% {@code VAL}, as nanoGPT splits. */
@API(status = STABLE, since = "0.1")
public enum Split {
    TRAIN, VAL, ALL;

    public static final double TRAIN_FRACTION = 0.9;

    /**
     * Reads the command line's spelling (case-insensitive): train, val or all.
     *
     * @throws InvalidInputException for any other text
     */
    public static Split parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new InvalidInputException("unknown split '" + text + "'; expected train, val or all");
        }
    }
}
