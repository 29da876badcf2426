package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import dev.keel.api.tokenize.TokenizerKind;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * Which tokenizer a new model gets: characters seen in the corpus, raw bytes (256 ids), or a Hugging Face
 * {@code tokenizer.json} file. Whether the file exists is checked when training starts.
 *
 * @param kind which tokenizer
 * @param file the tokenizer.json for {@link TokenizerKind#HF}; null for the others
 */
@API(status = STABLE, since = "0.1")
public record TokenizerSpec(TokenizerKind kind, Path file) {
    /**
     * @throws InvalidInputException when the kind is null, an {@code hf} spec has no file, or a {@code char} or
     *         {@code byte} spec names one
     */
    public TokenizerSpec {
        if (kind == null) {
            throw new InvalidInputException("TokenizerSpec.kind is null; use TokenizerSpec.chars(), bytes() or hfFile(path)");
        }
        if (kind == TokenizerKind.HF && file == null) {
            throw new InvalidInputException("TokenizerSpec.file is null for an hf tokenizer; pass the tokenizer.json");
        }
        if (kind != TokenizerKind.HF && file != null) {
            throw new InvalidInputException("TokenizerSpec.file " + file + " was given for a " + kind
                    + " tokenizer, which reads no file; use TokenizerSpec.hfFile(path) for a tokenizer.json");
        }
    }

    public static TokenizerSpec chars() {
        return new TokenizerSpec(TokenizerKind.CHAR, null);
    }

    public static TokenizerSpec bytes() {
        return new TokenizerSpec(TokenizerKind.BYTE, null);
    }

    /**
     * @throws InvalidInputException when {@code tokenizerJson} is null
     */
    public static TokenizerSpec hfFile(Path tokenizerJson) {
        return new TokenizerSpec(TokenizerKind.HF, tokenizerJson);
    }

    /**
     * Parses the command line's {@code --tokenizer char|byte|FILE.json}.
     *
     * @throws InvalidInputException for any other text
     */
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
