package dev.keel.api.infer;

/**
 * A deterministic pass of a causal LM over a corpus split in non-overlapping blocks.
 *
 * @param loss       mean next-token cross-entropy (nats)
 * @param perplexity {@code exp(loss)}
 * @param tokens     tokens scored
 */
public record EvaluationResult(double loss, double perplexity, long tokens) { }
