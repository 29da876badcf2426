package dev.keel.api.train;

import dev.keel.api.InvalidInputException;
import java.nio.file.Path;

/**
 * Which tokenizer a new model gets: characters seen in the corpus, raw bytes (256 ids), or a
 * Hugging Face {@code tokenizer.json} file.
 */
public record TokenizerSpec(String kind, Path file) {
    public static TokenizerSpec chars() {
        return new TokenizerSpec("char", null);
    }

    public static TokenizerSpec bytes() {
        return new TokenizerSpec("byte", null);
    }

    public static TokenizerSpec hfFile(Path tokenizerJson) {
        return new TokenizerSpec("hf", tokenizerJson);
    }

    /** Parses the command line's {@code --tokenizer char|byte|FILE.json}. */
    public static TokenizerSpec parse(String text) {
        if (text == null || text.isBlank() || text.equals("char")) {
            return chars();
        }
        if (text.equals("byte")) {
            return bytes();
        }
        if (text.endsWith(".json")) {
            return hfFile(Path.of(text));
        }
        throw new InvalidInputException("unknown tokenizer '" + text + "'; expected char, byte or a tokenizer.json file");
    }
}
