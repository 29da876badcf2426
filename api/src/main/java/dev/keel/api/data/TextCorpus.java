package dev.keel.api.data;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * Raw UTF-8 text for language modelling: one file, or a folder whose regular files are read in name order.
 *
 * @param source the file or folder
 */
@API(status = STABLE, since = "0.1")
public record TextCorpus(Path source) {
    public TextCorpus {
        if (source == null) {
            throw new InvalidInputException("corpus path is null; pass a text file or a folder of text files");
        }
    }

    public static TextCorpus of(Path source) {
        return new TextCorpus(source);
    }

    /**
     * This corpus, checked to exist.
     *
     * @throws InvalidInputException when the file or folder does not exist
     */
    public TextCorpus requireExists() {
        if (!Files.exists(source)) {
            throw new InvalidInputException("corpus " + source + " does not exist; pass a UTF-8 text file or folder");
        }
        return this;
    }
}
