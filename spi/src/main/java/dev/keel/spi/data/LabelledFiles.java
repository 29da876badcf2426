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
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<String> lines;
        if (Files.isDirectory(file)) {
            throw new InvalidInputException("data file " + file + " is a folder; pass a TSV, CSV, JSONL or text file");
        }
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("data file " + file + " does not exist");
        } catch (CharacterCodingException e) {
            throw TextLines.notUtf8(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        List<LabelledExample> out;
        if (name.endsWith(".tsv")) {
            out = tsv(file, lines);
        } else if (name.endsWith(".csv")) {
            out = csv(file, lines);
        } else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            out = jsonl(file, lines);
        } else {
            out = lines.stream().filter(l -> !l.isBlank()).map(l -> new LabelledExample(l, null)).toList();
        }
        if (out.isEmpty()) {
            throw new InvalidInputException("data file " + file + " holds no examples; add at least one line");
        }
        return out;
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

    private static List<LabelledExample> tsv(Path file, List<String> lines) {
        List<LabelledExample> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int tab = line.lastIndexOf('\t');
            if (tab < 0) {
                out.add(new LabelledExample(line, null));
                continue;
            }
            String label = line.substring(tab + 1).trim();
            if (label.isEmpty()) {
                throw new InvalidInputException(file + " line " + (i + 1) + " has an empty label after the tab");
            }
            out.add(new LabelledExample(line.substring(0, tab), label));
        }
        return out;
    }

    private static List<LabelledExample> csv(Path file, List<String> lines) {
        if (lines.isEmpty()) {
            return List.of();
        }
        List<String> header = parseCsvLine(lines.get(0), file, 1);
        int textCol = indexOf(header, "text");
        int labelCol = indexOf(header, "label");
        if (textCol < 0) {
            throw new InvalidInputException(file + " has no 'text' column in its header " + header
                    + "; the first line must name the columns, e.g. text,label");
        }
        List<LabelledExample> out = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        int startLine = 2;
        for (int i = 1; i < lines.size(); i++) {
            if (pending.length() > 0) {
                pending.append('\n');
            } else {
                startLine = i + 1;
            }
            pending.append(lines.get(i));
            if (quotes(pending) % 2 == 1) {
                continue; // a quoted field spans lines
            }
            if (pending.toString().isBlank()) {
                pending.setLength(0);
                continue;
            }
            List<String> fields = parseCsvLine(pending.toString(), file, startLine);
            pending.setLength(0);
            if (fields.size() != header.size()) {
                throw new InvalidInputException(file + " line " + startLine + " has " + fields.size()
                        + " fields but the header has " + header.size());
            }
            String label = labelCol < 0 ? null : fields.get(labelCol).trim();
            out.add(new LabelledExample(fields.get(textCol), label == null || label.isEmpty() ? null : label));
        }
        if (pending.length() > 0) {
            throw new InvalidInputException(file + " line " + startLine + " opens a quote that never closes");
        }
        return out;
    }

    private static long quotes(CharSequence s) {
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
    static List<String> parseCsvLine(String line, Path file, int lineNo) {
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

    private static List<LabelledExample> jsonl(Path file, List<String> lines) {
        List<LabelledExample> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> obj;
            try {
                obj = Json.parseData(line);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(file + " line " + (i + 1) + " is not a JSON object (" + e.getMessage()
                        + "); each line of a JSONL file is one object such as {\"text\": \"...\", \"label\": \"...\"}");
            }
            if (!(obj.get("text") instanceof String text)) {
                throw new InvalidInputException(file + " line " + (i + 1) + " has no string \"text\" field");
            }
            Object label = obj.get("label");
            String l = label == null ? null
                    : label instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                            ? Long.toString(n.longValue()) : label.toString();
            out.add(new LabelledExample(text, l));
        }
        return out;
    }
}
