package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * A deterministic pass of a causal LM over a corpus split in non-overlapping blocks.
 *
 * @param loss       mean next-token cross-entropy (nats)
 * @param perplexity {@code exp(loss)}
 * @param tokens     tokens scored
 */
@API(status = STABLE, since = "0.1")
public record EvaluationResult(double loss, double perplexity, long tokens) { }
