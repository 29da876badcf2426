package dev.keel.iterate.data;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The form in which two texts count as the same example: Unicode NFKC, lower case, runs of white space as one
 * space, trimmed. Used for de-duplication and for the leakage check, so "Great  phone!" in the training data
 * and "great phone!" in a golden set are the same row.
 */
public final class TextKey {
    private TextKey() { }

    public static String of(String text) {
        String n = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return n.replaceAll("\\s+", " ").trim();
    }
}
