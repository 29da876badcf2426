package dev.keel.api.data;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * A file of labelled examples: TSV {@code text<TAB>label} without header, CSV with a header naming
 * {@code text} and {@code label}, or JSONL with {@code text} and {@code label} fields (chosen by extension).
 */
@API(status = STABLE, since = "0.1")
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
