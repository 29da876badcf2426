package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.data.TextLines;
import java.io.BufferedWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel embed}: sentence embeddings, one per input line, written as JSON lines. Input and output stream
 * through in chunks, so memory stays flat however many lines there are; the output file appears whole at the
 * end (written beside it and renamed) or not at all. Each line is read up to a bound before tokenizing, and
 * lines longer than {@code --max-length} tokens are embedded from their beginning, counted in the result
 * ({@code truncated}) and marked in their row.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings, one input line each, written as JSON lines {\"text\", \"embedding\"}.")
public final class EmbedCommand implements Callable<Integer> {
    /** Lines per engine request: big enough to batch by length, small enough to show progress. */
    private static final int CHUNK = 512;
    /** Bytes of a line read at most per token of --max-length: far more than any tokenizer needs per token. */
    private static final int BYTES_PER_TOKEN = 64;

    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR|builtin:all-minilm-l6-v2",
            description = "a bert model folder, or builtin:all-minilm-l6-v2")
    String model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "UTF-8 text, one sentence per line")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "FILE.jsonl", description = "where the vectors go")
    Path out;

    @Option(names = "--batch", defaultValue = "32", description = "largest engine batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--normalize", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "L2-normalise the vectors (default: ${DEFAULT-VALUE}; --no-normalize keeps raw means)")
    boolean normalize;

    @Option(names = "--max-length", defaultValue = "256", description = "tokens per sentence at most (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--spark", paramLabel = "MASTER_URL", description = SparkVerbs.OPTION_HELP)
    String spark;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        if (batch <= 0) {
            throw new InvalidInputException("--batch must be positive, got " + batch);
        }
        if (maxLength <= 0) {
            throw new InvalidInputException("--max-length must be positive, got " + maxLength);
        }
        if (Files.isDirectory(out)) {
            throw new InvalidInputException("--out " + out + " is a folder; embed writes one JSON-lines file: give a "
                    + "file path such as vectors.jsonl");
        }
        if (Files.exists(out) && Files.exists(input) && out.toAbsolutePath().normalize()
                .equals(input.toAbsolutePath().normalize())) {
            throw new InvalidInputException("--out " + out + " is the input file; write the vectors elsewhere");
        }
        if (spark != null) {
            return SparkVerbs.embed(this, console);
        }
        StopSignals.cooperate();
        int maxBytes = Math.max(16_384, maxLength * BYTES_PER_TOKEN);
        try (TextLines lines = TextLines.open(input, maxBytes, "input")) {
            List<TextLines.Line> first = chunk(lines);
            if (first.isEmpty()) {
                throw new InvalidInputException("input " + input + " is empty; pass a UTF-8 text file with one "
                        + "sentence per line");
            }
            KeelRuntime runtime = common.runtime();
            SessionOptions options = SessionOptions.builder().device(common.device()).maxBatchSize(batch).build();
            try (InferenceSession session = runtime.open(common.model(model), options)) {
                Run run = new Run(session, console);
                console.say("embedding " + input + " with " + model + " on " + session.info().backend() + " ("
                        + session.info().device() + ")");
                AtomicFiles.write(out, ch -> {
                    Writer w = new BufferedWriter(Channels.newWriter(ch, StandardCharsets.UTF_8), 1 << 16);
                    for (List<TextLines.Line> c = first; !c.isEmpty(); c = chunk(lines)) {
                        StopSignals.checkpoint("after " + run.count + " lines; " + out + " was not written (it "
                                + "appears only complete)");
                        run.embed(c, w);
                    }
                    w.flush();
                });
                console.endProgress();
                return run.report();
            }
        }
    }

    private static List<TextLines.Line> chunk(TextLines lines) {
        List<TextLines.Line> chunk = new ArrayList<>(CHUNK);
        TextLines.Line line;
        while (chunk.size() < CHUNK && (line = lines.next()) != null) {
            chunk.add(line);
        }
        return chunk;
    }

    /** One run's counters and the rows it writes. */
    private final class Run {
        private final InferenceSession session;
        private final Console console;
        private final Tokenizer tokenizer;
        private final long started = System.nanoTime();
        private long count;
        private long truncated;
        private long firstTruncated;
        private int dim;

        Run(InferenceSession session, Console console) {
            this.session = session;
            this.console = console;
            this.tokenizer = session.tokenizer();
        }

        void embed(List<TextLines.Line> chunk, Writer w) throws java.io.IOException {
            List<String> texts = chunk.stream().map(TextLines.Line::text).toList();
            float[][] vectors = session.embed(texts, new EmbeddingOptions(normalize, maxLength)).vectors();
            for (int i = 0; i < vectors.length; i++) {
                TextLines.Line line = chunk.get(i);
                boolean cut = line.cut() || longerThanMax(line.text());
                if (cut) {
                    truncated++;
                    firstTruncated = firstTruncated == 0 ? line.number() : firstTruncated;
                }
                w.write(jsonLine(line.text(), vectors[i], cut));
                w.write('\n');
                dim = vectors[i].length;
            }
            count += vectors.length;
            console.progress(String.format("%,d lines", count));
        }

        /** Whether the engine kept only the first --max-length tokens (only a line that long in chars can be). */
        private boolean longerThanMax(String text) {
            return text.length() > maxLength - 2 && tokenizer.encode(text).length > maxLength;
        }

        int report() {
            double seconds = (System.nanoTime() - started) / 1e9;
            if (truncated > 0) {
                console.warn("keel embed: " + truncated + " of " + count + " lines were longer than --max-length "
                        + maxLength + " tokens and were embedded from their beginning (the first is line "
                        + firstTruncated + "; their rows say \"truncated\": true)");
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("count", count);
            result.put("dim", dim);
            result.put("sentences_per_s", count / Math.max(seconds, 1e-9));
            if (truncated > 0) {
                result.put("truncated", truncated); // present when some lines were cut, as the warning says
            }
            result.put("backend", session.info().backend());
            result.put("out", out.toString());
            console.result(result);
            return 0;
        }
    }

    /** One output line: {@code {"text": ..., "embedding": [...]}}. */
    static String jsonLine(String text, float[] vector) {
        return jsonLine(text, vector, false);
    }

    /** One output line, with {@code "truncated": true} when the text was longer than the engine read. */
    static String jsonLine(String text, float[] vector, boolean truncated) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("text", text);
        row.put("embedding", vector);
        if (truncated) {
            row.put("truncated", true);
        }
        return Json.compact(row);
    }
}
