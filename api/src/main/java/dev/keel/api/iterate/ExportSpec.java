package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apiguardian.api.API;

/**
 * What to export as training data, and where.
 * <pre>
 * store.export(ExportSpec.to(Path.of("feedback-w18.tsv"))
 *         .filter(CaptureFilter.all().model("sentiment").since(lastRound)).build());
 * </pre>
 *
 * @param out    the file to write: {@code .tsv} ({@code text<TAB>label}, no header) or {@code .jsonl}
 *               ({@code text}, {@code label} and where each row came from), the formats {@code keel adapt} reads.
 *               Written atomically, with {@code OUT.manifest.json} beside it
 * @param filter which calls and feedback to use (time bounds apply to when the feedback was given)
 * @param task   {@code classify}: rows from classification calls, text = input, label = class;
 *               {@code prompt-response}: rows from generation calls, text = prompt, label = the corrected or
 *               given response (for {@code keel adapt --task prompt-response})
 * @param labels the classifier's labels, when known; a thumbs-down needs exactly two to name "the other
 *               label". Empty: the labels the log has seen for the model (predictions and labels given), used only
 *               when there are exactly two
 * @param thumbs whether thumbs feedback contributes (default true)
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record ExportSpec(Path out, CaptureFilter filter, String task, List<String> labels, boolean thumbs) {
    public static final String CLASSIFY = "classify";
    public static final String PROMPT_RESPONSE = "prompt-response";

    public ExportSpec {
        if (out == null) {
            throw new InvalidInputException("an export needs an output file (.tsv or .jsonl)");
        }
        formatOf(out);
        filter = filter == null ? CaptureFilter.all() : filter;
        task = task == null ? CLASSIFY : task.trim().toLowerCase(Locale.ROOT);
        if (!task.equals(CLASSIFY) && !task.equals(PROMPT_RESPONSE)) {
            throw new InvalidInputException("unknown export task '" + task + "'; expected classify or prompt-response");
        }
        labels = labels == null ? List.of() : List.copyOf(labels);
        if (labels.stream().anyMatch(String::isBlank) || labels.stream().distinct().count() != labels.size()) {
            throw new InvalidInputException("export labels " + labels + " must be distinct and non-empty");
        }
    }

    /** {@code tsv} or {@code jsonl}, from the file name; anything else is refused. */
    public static String formatOf(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".tsv")) {
            return "tsv";
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return "jsonl";
        }
        throw new InvalidInputException("export file " + file + " must end in .tsv (text<TAB>label) or .jsonl "
                + "(text and label fields), the formats keel adapt reads");
    }

    public String format() {
        return formatOf(out);
    }

    public static Builder to(Path out) {
        return new Builder(out);
    }

    /** Collects the export's settings; {@link #build()} checks them. */
    public static final class Builder {
        private final Path out;
        private CaptureFilter filter = CaptureFilter.all();
        private String task = CLASSIFY;
        private List<String> labels = List.of();
        private boolean thumbs = true;

        private Builder(Path out) {
            this.out = out;
        }

        public Builder filter(CaptureFilter v) { filter = v; return this; }
        public Builder task(String v) { task = v; return this; }
        public Builder labels(List<String> v) { labels = v; return this; }
        public Builder thumbs(boolean v) { thumbs = v; return this; }

        public ExportSpec build() {
            return new ExportSpec(out, filter, task, labels, thumbs);
        }
    }
}
