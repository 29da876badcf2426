package dev.keel.api.infer;

/**
 * A finished generation.
 *
 * @param inferenceId       the id to attach feedback to
 * @param text              the generated text (prompt excluded)
 * @param tokens            the generated token ids
 * @param timeToFirstTokenMs milliseconds until the first new token
 * @param msPerToken        mean milliseconds per generated token after the first
 * @param stopReason        {@code length}, {@code stop} or {@code eos}
 */
public record GenerationResult(String inferenceId, String text, int[] tokens, double timeToFirstTokenMs,
        double msPerToken, String stopReason) { }
