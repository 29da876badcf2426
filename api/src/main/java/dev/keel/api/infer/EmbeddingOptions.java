package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import org.apiguardian.api.API;

/**
 * How to embed: L2-normalise the pooled vectors or not, and the longest input in tokens (longer texts are
 * cut; a model may allow fewer, such as a bert encoder's 2 special tokens at least).
 *
 * @param normalize scale each vector to unit length
 * @param maxLength the longest input in tokens, at least 1
 */
@API(status = STABLE, since = "0.1")
public record EmbeddingOptions(boolean normalize, int maxLength) {
    /** The default longest input, in tokens. */
    public static final int DEFAULT_MAX_LENGTH = 256;

    /**
     * @throws InvalidInputException when {@code maxLength} is below 1
     */
    public EmbeddingOptions {
        if (maxLength < 1) {
            throw new InvalidInputException("EmbeddingOptions.maxLength must be >= 1, got " + maxLength
                    + " (the default is " + DEFAULT_MAX_LENGTH + ")");
        }
    }

    /** Normalised vectors of inputs up to {@value #DEFAULT_MAX_LENGTH} tokens. */
    public static EmbeddingOptions defaults() {
        return new EmbeddingOptions(true, DEFAULT_MAX_LENGTH);
    }
}
