package dev.keel.api.infer;

/**
 * Sentence vectors, one row per input text.
 *
 * @param inferenceId the id to attach feedback to
 * @param vectors     {@code [texts][dimension]}
 */
public record EmbeddingResult(String inferenceId, float[][] vectors) {
    public int dimension() {
        return vectors.length == 0 ? 0 : vectors[0].length;
    }
}
