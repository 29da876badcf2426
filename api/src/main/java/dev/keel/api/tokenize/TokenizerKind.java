package dev.keel.api.tokenize;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import org.apiguardian.api.API;

/** The tokenizers Keel reads and writes. {@link #label()} is the spelling files and the command line use. */
@API(status = STABLE, since = "0.1")
public enum TokenizerKind {
    /** One token per character seen in the training corpus (Keel's {@code keel-tokenizer.json}). */
    CHAR,
    /** One token per UTF-8 byte, 256 ids (Keel's {@code keel-tokenizer.json}). */
    BYTE,
    /** A Hugging Face {@code tokenizer.json}. */
    HF;

    /** {@code char}, {@code byte} or {@code hf}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }

    /**
     * Reads a label back ({@code char}, {@code byte} or {@code hf}, case-insensitive).
     *
     * @throws InvalidInputException for any other text
     */
    public static TokenizerKind parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new InvalidInputException("unknown tokenizer kind '" + text + "'; expected char, byte or hf");
        }
    }
}
