package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;
import org.apiguardian.api.API;

/**
 * Sentence vectors, one row per input text. Immutable: the rows are copied once when the result is made,
 * and {@link #vectors()} hands out a fresh copy, so neither the engine nor a caller can change what others
 * read. Read single values with {@link #get} and rows with {@link #vector}, which copy one row, not the
 * whole result. Two results are equal when their ids, token counts and every value are equal.
 */
@API(status = STABLE, since = "0.1")
public final class EmbeddingResult {
    private final String inferenceId;
    private final float[][] vectors;
    /** Tokens the model read for these texts, or -1 when the engine did not say. */
    private final long inputTokens;

    /**
     * A result whose engine does not report how many tokens it read ({@link #inputTokens()} is empty).
     *
     * @param inferenceId the id to attach feedback to
     * @param vectors     {@code [texts][dimension]}, copied
     * @throws InvalidInputException when the id, the vectors or one of their rows is null
     */
    public EmbeddingResult(String inferenceId, float[][] vectors) {
        this(-1, requireId(inferenceId), copy(vectors));
    }

    /**
     * @param inferenceId the id to attach feedback to
     * @param vectors     {@code [texts][dimension]}, copied
     * @param inputTokens the tokens the model read for all the texts together (special tokens included, after
     *                    truncation), as the call's inference event reports them
     * @throws InvalidInputException when the id, the vectors or one of their rows is null, or inputTokens is negative
     */
    public EmbeddingResult(String inferenceId, float[][] vectors, long inputTokens) {
        this(requireTokens(inputTokens), requireId(inferenceId), copy(vectors));
    }

    /** Takes {@code owned} as it is (copied or shared by the caller). */
    private EmbeddingResult(long inputTokens, String inferenceId, float[][] owned) {
        this.inferenceId = inferenceId;
        this.vectors = owned;
        this.inputTokens = inputTokens;
    }

    private static long requireTokens(long tokens) {
        if (tokens < 0) {
            throw new InvalidInputException("inputTokens is " + tokens + "; count the tokens the model read (0 or "
                    + "more), or use the constructor without it when the engine does not say");
        }
        return tokens;
    }

    private static String requireId(String id) {
        if (id == null) {
            throw new InvalidInputException("inferenceId is null; every result carries the id of its call");
        }
        return id;
    }

    private static float[][] copy(float[][] v) {
        if (v == null) {
            throw new InvalidInputException("vectors is null; pass one row per text (an empty array for none)");
        }
        float[][] out = new float[v.length][];
        for (int i = 0; i < v.length; i++) {
            if (v[i] == null) {
                throw new InvalidInputException("vector " + i + " is null; every text needs a vector");
            }
            out[i] = v[i].clone();
        }
        return out;
    }

    /** The id to attach feedback to. */
    public String inferenceId() {
        return inferenceId;
    }

    /** A fresh copy of every vector, {@code [texts][dimension]}; read it once rather than per element. */
    public float[][] vectors() {
        return copy(vectors);
    }

    /** A copy of the vector of text {@code i}. */
    public float[] vector(int i) {
        return vectors[i].clone();
    }

    /** One value: dimension {@code d} of text {@code i}'s vector. */
    public float get(int i, int d) {
        return vectors[i][d];
    }

    /** How many texts were embedded. */
    public int size() {
        return vectors.length;
    }

    /**
     * The tokens the model read for all the texts together (special tokens included, after truncation to the
     * model's positions), when the engine reported them: a server's {@code usage} needs no second tokenization.
     */
    public OptionalLong inputTokens() {
        return inputTokens < 0 ? OptionalLong.empty() : OptionalLong.of(inputTokens);
    }

    /** The vectors' width, 0 when no text was given. */
    public int dimension() {
        return vectors.length == 0 ? 0 : vectors[0].length;
    }

    /**
     * The same vectors under another inference id, sharing this result's rows (safe: neither result lets them
     * change), so a session that wraps another reports its own id without copying the vectors again.
     *
     * @throws InvalidInputException when {@code id} is null
     */
    public EmbeddingResult withInferenceId(String id) {
        return new EmbeddingResult(inputTokens, requireId(id), vectors);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EmbeddingResult r && inferenceId.equals(r.inferenceId) && inputTokens == r.inputTokens
                && Arrays.deepEquals(vectors, r.vectors);
    }

    @Override
    public int hashCode() {
        return Objects.hash(inferenceId, inputTokens, Arrays.deepHashCode(vectors));
    }

    @Override
    public String toString() {
        return "EmbeddingResult[inferenceId=" + inferenceId + ", texts=" + size() + ", dimension=" + dimension() + "]";
    }
}
