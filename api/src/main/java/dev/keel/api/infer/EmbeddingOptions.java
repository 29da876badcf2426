package dev.keel.api.infer;

/**
 * How to embed: L2-normalise the pooled vectors or not, and the longest input in tokens.
 */
public record EmbeddingOptions(boolean normalize, int maxLength) {
    public static EmbeddingOptions defaults() {
        return new EmbeddingOptions(true, 256);
    }
}
