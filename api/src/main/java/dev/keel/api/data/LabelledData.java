package dev.keel.api.data;

import dev.keel.api.InvalidInputException;
import java.nio.file.Path;

/**
 * A file of labelled examples: TSV {@code text<TAB>label} without header, CSV with a header naming
 * {@code text} and {@code label}, or JSONL with {@code text} and {@code label} fields (chosen by extension).
 */
public record LabelledData(Path file) {
    public LabelledData {
        if (file == null) {
            throw new InvalidInputException("labelled data path is null; pass a .tsv, .csv or .jsonl file");
        }
    }

    public static LabelledData of(Path file) {
        return new LabelledData(file);
    }
}
