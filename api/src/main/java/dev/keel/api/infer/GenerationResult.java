package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A finished generation. Immutable: the token ids are copied when the result is made and {@link #tokens()}
 * returns a copy; {@link #tokenCount()} and {@link #token(int)} read them without copying. Two results are
 * equal when every component, each token included, is equal.
 *
 * @param inferenceId        the id to attach feedback to
 * @param text               the generated text (prompt excluded)
 * @param tokens             the generated token ids
 * @param timeToFirstTokenMs milliseconds until the first new token
 * @param msPerToken         mean milliseconds per generated token after the first
 * @param stopReason         why the generation ended
 */
@API(status = STABLE, since = "0.1")
public record GenerationResult(String inferenceId, String text, int[] tokens, double timeToFirstTokenMs,
        double msPerToken, StopReason stopReason) {

    /**
     * @throws InvalidInputException when the id, the text, the tokens or the stop reason is null
     */
    public GenerationResult {
        if (inferenceId == null || text == null || tokens == null || stopReason == null) {
            throw new InvalidInputException("a generation result needs inferenceId, text, tokens and stopReason; got "
                    + (inferenceId == null ? "inferenceId " : "") + (text == null ? "text " : "")
                    + (tokens == null ? "tokens " : "") + (stopReason == null ? "stopReason " : "") + "null");
        }
        tokens = tokens.clone();
    }

    /** A copy of the generated token ids. */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** How many tokens were generated. */
    public int tokenCount() {
        return tokens.length;
    }

    /** The {@code i}-th generated token id. */
    public int token(int i) {
        return tokens[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && inferenceId.equals(r.inferenceId) && text.equals(r.text)
                && Arrays.equals(tokens, r.tokens) && Double.compare(timeToFirstTokenMs, r.timeToFirstTokenMs) == 0
                && Double.compare(msPerToken, r.msPerToken) == 0 && stopReason == r.stopReason;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inferenceId, text, Arrays.hashCode(tokens), timeToFirstTokenMs, msPerToken, stopReason);
    }

    @Override
    public String toString() {
        return "GenerationResult[inferenceId=" + inferenceId + ", text=" + text + ", tokens=" + Arrays.toString(tokens)
                + ", timeToFirstTokenMs=" + timeToFirstTokenMs + ", msPerToken=" + msPerToken + ", stopReason="
                + stopReason + "]";
    }
}
