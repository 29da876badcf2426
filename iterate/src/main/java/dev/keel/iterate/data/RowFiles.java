package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.LabelledFiles;
import dev.keel.api.data.TextCorpus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and writes a round's rows. Input files are any labelled format {@code keel adapt} reads (TSV, CSV,
 * JSONL); a round writes JSONL with {@code text}, {@code label}, {@code source} and {@code weight} per line,
 * which the adapters read as ordinary labelled JSONL and the next round reads back with sources and weights.
 */
public final class RowFiles {
    private RowFiles() { }

    /** Rows of a labelled file; JSONL keeps {@code source} and {@code weight} when present. */
    public static List<LabelledRow> read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".jsonl") && !name.endsWith(".ndjson")) {
            List<LabelledExample> examples = LabelledFiles.readLabelled(file);
            return examples.stream().map(e -> LabelledRow.of(e.text(), e.label())).toList();
        }
        List<LabelledExample> examples = LabelledFiles.readLabelled(file); // validates text and label on each line
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<LabelledRow> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            Map<String, Object> o = Json.parseObject(lines.get(i), file + " line " + (i + 1));
            String source = o.get("source") instanceof String s ? s : LabelledRow.NEW;
            double weight = o.get("weight") instanceof Number n ? n.doubleValue() : 1.0;
            out.add(new LabelledRow(examples.get(i).text(), examples.get(i).label(), source, weight));
        }
        return out;
    }

    /** Writes rows as JSONL atomically. */
    public static Path write(Path file, List<LabelledRow> rows) {
        StringBuilder sb = new StringBuilder(rows.size() * 96);
        for (LabelledRow r : rows) {
            sb.append(Json.compact(r.toMap())).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
        return file;
    }

    /** The sha-256 of a file's bytes, hex, the fingerprint keel.json records for training data. */
    public static String sha256(Path file) {
        return CorpusTokenizer.fingerprint(TextCorpus.of(file));
    }
}
