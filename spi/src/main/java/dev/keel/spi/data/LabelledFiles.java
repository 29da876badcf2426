package dev.keel.spi.data;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.spi.checkpoint.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Reads labelled examples as the command line contract describes them: TSV {@code text<TAB>label} without
 * header, CSV with a header naming {@code text} and {@code label}, JSONL with {@code text} and
 * {@code label} fields, or plain lines (unlabelled). Errors name the file and line.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class LabelledFiles {
    private LabelledFiles() { }

    public static List<LabelledExample> read(Path file) {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException("data file " + file + " is a folder; pass a TSV, CSV, JSONL or text file");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("data file " + file + " does not exist");
        } catch (CharacterCodingException e) {
            throw TextLines.notUtf8(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        Format format = Format.of(file);
        List<LabelledExample> out = new ArrayList<>();
        if (format == Format.CSV) {
            if (!lines.isEmpty()) {
                CsvRecords records = new CsvRecords(file, lines.get(0));
                for (int i = 1; i < lines.size(); i++) {
                    addIfPresent(out, records.accept(lines.get(i), i + 1));
                }
                records.finish();
            }
        } else {
            for (int i = 0; i < lines.size(); i++) {
                addIfPresent(out, parseLine(format, file, lines.get(i), i + 1));
            }
        }
        if (out.isEmpty()) {
            throw noExamples(file);
        }
        return out;
    }

    /** The error for a file that holds no examples (a reader that sees the file in pieces raises the same). */
    public static InvalidInputException noExamples(Path file) {
        return new InvalidInputException("data file " + file + " holds no examples; add at least one line");
    }

    private static void addIfPresent(List<LabelledExample> out, LabelledExample e) {
        if (e != null) {
            out.add(e);
        }
    }

    /** Reads examples and fails unless every one carries a label. */
    public static List<LabelledExample> readLabelled(Path file) {
        List<LabelledExample> examples = read(file);
        for (int i = 0; i < examples.size(); i++) {
            if (!examples.get(i).hasLabel()) {
                throw new InvalidInputException("data file " + file + " example " + (i + 1) + " has no label; "
                        + "use TSV text<TAB>label, CSV with text,label header, or JSONL with a label field");
            }
        }
        return examples;
    }

    /** How a file's name says its lines are to be read. */
    public enum Format {
        /** {@code text<TAB>label} (the label after the last tab), or a bare text. */
        TSV,
        /** A header naming {@code text} (and {@code label}), then RFC 4180 records, which may span lines. */
        CSV,
        /** One JSON object a line, with {@code text} and {@code label}. */
        JSONL,
        /** One unlabelled text a line. */
        TEXT;

        /** {@code .tsv}, {@code .csv}, {@code .jsonl} or {@code .ndjson}, else plain lines. */
        public static Format of(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".tsv")) {
                return TSV;
            }
            if (name.endsWith(".csv")) {
                return CSV;
            }
            return name.endsWith(".jsonl") || name.endsWith(".ndjson") ? JSONL : TEXT;
        }
    }

    /**
     * One line of a TSV, JSONL or plain file as {@link #read} reads it: the example, or null for a blank line
     * (skipped). A reader that sees the file a piece at a time (a Spark task) parses with this exactly as
     * {@link #read} does; CSV records may span lines and go through {@link CsvRecords} instead.
     *
     * @param lineNo the line's number in the file, from 1, for error messages
     * @throws InvalidInputException for a line that is not valid in its format (named by file and line)
     */
    public static LabelledExample parseLine(Format format, Path file, String line, long lineNo) {
        if (line.isBlank()) {
            return null;
        }
        return switch (format) {
            case TSV -> tsvLine(file, line, lineNo);
            case JSONL -> jsonlLine(file, line, lineNo);
            case TEXT -> new LabelledExample(line, null);
            case CSV -> throw new IllegalArgumentException("CSV records may span lines; read " + file
                    + " with LabelledFiles.CsvRecords");
        };
    }

    private static LabelledExample tsvLine(Path file, String line, long lineNo) {
        int tab = line.lastIndexOf('\t');
        if (tab < 0) {
            return new LabelledExample(line, null);
        }
        String label = line.substring(tab + 1).trim();
        if (label.isEmpty()) {
            throw new InvalidInputException(file + " line " + lineNo + " has an empty label after the tab");
        }
        return new LabelledExample(line.substring(0, tab), label);
    }

    /**
     * The records of a CSV file fed one line at a time, as {@link #read} reads them: the header first (at
     * construction), then each further line; a quoted field may span lines, so a line may complete no record.
     */
    public static final class CsvRecords {
        private final Path file;
        private final List<String> header;
        private final int textCol;
        private final int labelCol;
        private final StringBuilder pending = new StringBuilder();
        private long startLine = 2;

        /** Reads the header, the file's first line; fails when it names no {@code text} column. */
        public CsvRecords(Path file, String headerLine) {
            this.file = file;
            header = parseCsvLine(headerLine, file, 1);
            textCol = indexOf(header, "text");
            labelCol = indexOf(header, "label");
            if (textCol < 0) {
                throw new InvalidInputException(file + " has no 'text' column in its header " + header
                        + "; the first line must name the columns, e.g. text,label");
            }
        }

        /** The record that line {@code lineNo} completes, or null (a blank line, or a quote still open). */
        public LabelledExample accept(String line, long lineNo) {
            if (pending.length() > 0) {
                pending.append('\n');
            } else {
                startLine = lineNo;
            }
            pending.append(line);
            if (quotes(pending) % 2 == 1) {
                return null; // a quoted field spans lines
            }
            if (pending.toString().isBlank()) {
                pending.setLength(0);
                return null;
            }
            List<String> fields = parseCsvLine(pending.toString(), file, startLine);
            pending.setLength(0);
            if (fields.size() != header.size()) {
                throw new InvalidInputException(file + " line " + startLine + " has " + fields.size()
                        + " fields but the header has " + header.size());
            }
            String label = labelCol < 0 ? null : fields.get(labelCol).trim();
            return new LabelledExample(fields.get(textCol), label == null || label.isEmpty() ? null : label);
        }

        /** Whether a quoted field is still open (the record goes on in the following lines). */
        public boolean open() {
            return pending.length() > 0;
        }

        /** Fails when the file ended inside a quoted field. */
        public void finish() {
            if (pending.length() > 0) {
                throw new InvalidInputException(file + " line " + startLine + " opens a quote that never closes");
            }
        }
    }

    /** The number of double quotes in a line: a CSV record ends on a line where its count turns even. */
    public static long quotes(CharSequence s) {
        return s.chars().filter(c -> c == '"').count();
    }

    private static int indexOf(List<String> header, String name) {
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).trim().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** RFC 4180 fields: commas separate, double quotes quote, two double quotes escape one. */
    static List<String> parseCsvLine(String line, Path file, long lineNo) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new InvalidInputException(file + " line " + lineNo + " opens a quote that never closes");
        }
        fields.add(cur.toString());
        return fields;
    }

    /**
     * Per-example loss weights of a labelled file: the {@code weight} field of a JSONL file's lines (1 where a
     * line has none), in the order {@link #read} returns the examples; null when the file is not JSONL or no
     * line carries a weight. Reweighing against bias (the continuous-learning loop) writes them this way, and
     * every adapter multiplies each example's loss by its weight. A weight must be a finite number >= 0, and
     * not every weight may be 0.
     */
    public static float[] sampleWeights(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".jsonl") && !name.endsWith(".ndjson")) {
            return null;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        List<Float> weights = new ArrayList<>();
        boolean any = false;
        double sum = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            Object w = Json.parseObject(lines.get(i), "line").get("weight");
            float v = 1f;
            if (w != null) {
                if (!(w instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
                    throw new InvalidInputException(file + " line " + (i + 1) + " has weight " + w + "; a sample "
                            + "weight is a finite number >= 0");
                }
                v = n.floatValue();
                any = true;
            }
            sum += v;
            weights.add(v);
        }
        if (!any) {
            return null;
        }
        if (sum <= 0) {
            throw new InvalidInputException(file + " gives every example weight 0; at least one must count");
        }
        float[] out = new float[weights.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = weights.get(i);
        }
        return out;
    }

    private static LabelledExample jsonlLine(Path file, String line, long lineNo) {
        Map<String, Object> obj;
        try {
            obj = Json.parseData(line);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(file + " line " + lineNo + " is not a JSON object (" + e.getMessage()
                    + "); each line of a JSONL file is one object such as {\"text\": \"...\", \"label\": \"...\"}");
        }
        if (!(obj.get("text") instanceof String text)) {
            throw new InvalidInputException(file + " line " + lineNo + " has no string \"text\" field");
        }
        Object label = obj.get("label");
        String l = label == null ? null
                : label instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                        ? Long.toString(n.longValue()) : label.toString();
        return new LabelledExample(text, l);
    }
}
