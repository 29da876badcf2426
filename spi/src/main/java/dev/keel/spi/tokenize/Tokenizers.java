package dev.keel.spi.tokenize;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.data.CorpusTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Loads and saves tokenizers in a model folder: Hugging Face's {@code tokenizer.json} as it is, or Keel's
 * {@code keel-tokenizer.json} for the character and byte tokenizers.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Tokenizers {
    public static final String HF_FILE = "tokenizer.json";
    public static final String KEEL_FILE = "keel-tokenizer.json";

    private Tokenizers() { }

    /**
     * The tokenizer a new model trains with: the corpus's characters, raw bytes, or a Hugging Face file.
     * Every problem is the caller's input, so every error is an {@link InvalidInputException}.
     */
    public static Tokenizer forTraining(TokenizerSpec spec, TextCorpus corpus) {
        switch (spec.kind()) {
            case CHAR:
                return CorpusTokenizer.charVocabulary(corpus.requireExists());
            case BYTE:
                return new ByteTokenizer();
            case HF:
                if (spec.file() == null || !Files.isRegularFile(spec.file())) {
                    throw new InvalidInputException("tokenizer file " + spec.file() + " does not exist; pass a Hugging "
                            + "Face tokenizer.json, or --tokenizer char or byte");
                }
                try {
                    return HfTokenizer.load(spec.file());
                } catch (CheckpointException e) {
                    throw new InvalidInputException(e.getMessage(), e);
                }
            default:
                throw new InvalidInputException("unknown tokenizer kind " + spec.kind()
                        + "; expected char, byte or a tokenizer.json file");
        }
    }

    public static Tokenizer load(Path dir) {
        Path hf = dir.resolve(HF_FILE);
        if (Files.exists(hf)) {
            return HfTokenizer.load(hf);
        }
        Path keel = dir.resolve(KEEL_FILE);
        if (!Files.exists(keel)) {
            throw new CheckpointException(dir + " has neither " + HF_FILE + " nor " + KEEL_FILE
                    + "; copy the tokenizer the model was trained with into the folder");
        }
        Map<String, Object> m = Json.readObject(keel);
        String type = String.valueOf(m.get("type"));
        switch (type) {
            case "byte":
                return new ByteTokenizer();
            case "char":
                if (!(m.get("vocab") instanceof List<?> vocab)) {
                    throw new CheckpointException(keel + " has no \"vocab\" list for its char tokenizer");
                }
                int[] cps = vocab.stream().mapToInt(v -> {
                    String s = String.valueOf(v);
                    if (s.codePointCount(0, s.length()) != 1) {
                        throw new CheckpointException(keel + " vocab entry \"" + s + "\" is not one character");
                    }
                    return s.codePointAt(0);
                }).toArray();
                try {
                    return new CharTokenizer(cps);
                } catch (InvalidInputException e) {
                    throw new CheckpointException(keel + ": " + e.getMessage(), e);
                }
            default:
                throw new CheckpointException(keel + " names tokenizer type \"" + type + "\"; expected char or byte");
        }
    }

    public static void save(Tokenizer tokenizer, Path dir) {
        if (tokenizer instanceof HfTokenizer hf) {
            AtomicFiles.writeString(dir.resolve(HF_FILE), hf.json());
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", tokenizer.kind().label());
        if (tokenizer instanceof CharTokenizer c) {
            m.put("vocab", java.util.Arrays.stream(c.codePoints()).mapToObj(Character::toString).toList());
        } else if (!(tokenizer instanceof ByteTokenizer)) {
            throw new InvalidInputException("cannot save tokenizer of kind " + tokenizer.kind()
                    + "; Keel saves char, byte and Hugging Face tokenizers");
        }
        AtomicFiles.writeString(dir.resolve(KEEL_FILE), Json.pretty(m) + "\n");
    }
}
