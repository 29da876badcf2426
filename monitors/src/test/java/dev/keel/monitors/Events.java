package dev.keel.monitors;

import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import java.time.Instant;
import java.util.List;

/** Inference events as a backend reports them, built for known-answer tests. */
public final class Events {
    private Events() { }

    public static InferenceEvent classify(String id, String text, String label, double confidence, long totalNanos) {
        return new InferenceEvent(id, Instant.now(), Operation.CLASSIFY, "v1", "test", "cpu", totalNanos / 10, 0,
                totalNanos - totalNanos / 10, List.of(text), text.split(" ").length, 0, 0, List.of(label),
                List.of(confidence), null);
    }

    public static InferenceEvent embed(String id, String text, long totalNanos) {
        return new InferenceEvent(id, Instant.now(), Operation.EMBED, "v1", "test", "cpu", 0, 0, totalNanos, List.of(text),
                5, 0, 0, List.of(), List.of(), null);
    }

    public static InferenceEvent generate(String id, String prompt, String output, long outputTokens, long ttftNanos,
            long computeNanos) {
        return new InferenceEvent(id, Instant.now(), Operation.GENERATE, "v1", "test", "cpu", 0, 0, computeNanos,
                List.of(prompt), 4, outputTokens, ttftNanos, List.of(output), List.of(), null);
    }

    public static InferenceEvent failed(String id) {
        return new InferenceEvent(id, Instant.now(), Operation.EMBED, "v1", "test", "cpu", 0, 0, 1000, List.of("x"), 1, 0, 0,
                List.of(), List.of(), "IllegalStateException: engine closed");
    }
}
