package dev.keel.iterate;

import dev.keel.api.InvalidInputException;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.data.RowFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where a round's new labelled data comes from: a file (any format {@code keel adapt} reads), or rows a host
 * supplies (feedback turned into labels, say). Read when the round starts, so each round sees what is new.
 */
public interface NewData {
    /** The rows, read now. */
    List<LabelledRow> rows();

    /** What the round's lineage records about the source (its file and sha-256, or a description). */
    Map<String, Object> describe();

    /** The file the data is read from, or null for rows supplied in code (a causal-lm round reads text from it). */
    default Path path() {
        return null;
    }

    static NewData file(Path file) {
        if (file == null) {
            throw new InvalidInputException("new data file is null; give a labelled TSV, CSV or JSONL file");
        }
        return new NewData() {
            @Override
            public List<LabelledRow> rows() {
                if (!Files.isRegularFile(file)) {
                    throw new InvalidInputException("new data file " + file + " does not exist; give a labelled TSV "
                            + "(text<TAB>label), CSV (text,label header) or JSONL file");
                }
                return RowFiles.read(file).stream().map(r -> r.withSource(LabelledRow.NEW)).toList();
            }

            @Override
            public Path path() {
                return file;
            }

            @Override
            public Map<String, Object> describe() {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", file.toAbsolutePath().normalize().toString());
                m.put("sha256", Files.isRegularFile(file) ? RowFiles.sha256(file) : null);
                return m;
            }
        };
    }

    static NewData of(String description, Supplier<List<LabelledRow>> rows) {
        return new NewData() {
            @Override
            public List<LabelledRow> rows() {
                return rows.get().stream().map(r -> r.withSource(LabelledRow.NEW)).toList();
            }

            @Override
            public Map<String, Object> describe() {
                return Map.of("source", description);
            }
        };
    }
}
