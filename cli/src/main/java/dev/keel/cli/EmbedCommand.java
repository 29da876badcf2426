package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
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

/** {@code keel embed}: sentence embeddings, one input line each, written as JSON lines. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings, one input line each, written as JSON lines {\"text\", \"embedding\"}.")
public final class EmbedCommand implements Callable<Integer> {
    /** Lines per engine request: big enough to batch by length, small enough to show progress. */
    private static final int CHUNK = 512;

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

    @Override
    public Integer call() {
        Console console = Console.of(common);
        if (batch <= 0) {
            throw new InvalidInputException("--batch must be positive, got " + batch);
        }
        List<String> lines = readLines(input);
        KeelRuntime runtime = common.runtime();
        SessionOptions options = SessionOptions.builder().device(common.device()).maxBatchSize(batch).build();
        List<float[]> vectors = new ArrayList<>(lines.size());
        long start;
        long elapsed;
        String backend;
        try (InferenceSession session = runtime.open(common.model(model), options)) {
            backend = session.info().backend();
            console.say("embedding " + lines.size() + " lines with " + model + " on " + backend + " ("
                    + session.info().device() + ")");
            start = System.nanoTime();
            for (int from = 0; from < lines.size(); from += CHUNK) {
                List<String> chunk = lines.subList(from, Math.min(lines.size(), from + CHUNK));
                for (float[] v : session.embed(chunk, new EmbeddingOptions(normalize, maxLength)).vectors()) {
                    vectors.add(v);
                }
                console.progress(String.format("%d/%d lines", vectors.size(), lines.size()));
            }
            elapsed = System.nanoTime() - start;
            console.endProgress();
        }
        writeJsonl(lines, vectors);
        double perSecond = lines.size() / Math.max(elapsed / 1e9, 1e-9);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("count", lines.size());
        result.put("dim", vectors.isEmpty() ? 0 : vectors.get(0).length);
        result.put("sentences_per_s", perSecond);
        result.put("backend", backend);
        result.put("out", out.toString());
        console.result(result);
        return 0;
    }

    private static List<String> readLines(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("input " + file + " does not exist; pass a UTF-8 text file, one sentence per line");
        }
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("input " + file + " is not UTF-8 text; convert it with iconv -t UTF-8", e);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read input " + file + ": " + e.getMessage(), e);
        }
    }

    private void writeJsonl(List<String> lines, List<float[]> vectors) {
        StringBuilder sb = new StringBuilder();
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            row.put("text", lines.get(i));
            row.put("embedding", vectors.get(i));
            sb.append(Json.compact(row)).append('\n');
        }
        AtomicFiles.writeString(out, sb.toString());
    }
}
