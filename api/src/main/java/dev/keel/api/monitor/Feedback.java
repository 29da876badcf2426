package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.time.Instant;
import org.apiguardian.api.API;

/**
 * What a user said about one inference, possibly much later.
 *
 * @param inferenceId the id the inference call returned
 * @param kind        the kind of feedback
 * @param value       the correct label or the corrected text (for LABEL and CORRECTION), else null
 * @param score       a numeric rating (for SCORE), else NaN
 * @param timestamp   when the user said it
 */
@API(status = STABLE, since = "0.1")
public record Feedback(String inferenceId, Kind kind, String value, double score, Instant timestamp) {
    public enum Kind { THUMBS_UP, THUMBS_DOWN, LABEL, CORRECTION, SCORE, RETRY }

    /**
     * @throws InvalidInputException when the id is blank, the kind is null, or a LABEL or CORRECTION has no value
     */
    public Feedback {
        if (inferenceId == null || inferenceId.isBlank()) {
            throw new InvalidInputException("feedback needs the inference id the call returned");
        }
        if (kind == null) {
            throw new InvalidInputException("feedback kind is null; expected one of THUMBS_UP, THUMBS_DOWN, "
                    + "LABEL, CORRECTION, SCORE, RETRY");
        }
        if ((kind == Kind.LABEL || kind == Kind.CORRECTION) && value == null) {
            throw new InvalidInputException(kind + " feedback needs a value (the correct label or text)");
        }
        timestamp = timestamp == null ? Instant.now() : timestamp;
    }

    public static Feedback thumbsUp(String id) {
        return new Feedback(id, Kind.THUMBS_UP, null, Double.NaN, null);
    }

    public static Feedback thumbsDown(String id) {
        return new Feedback(id, Kind.THUMBS_DOWN, null, Double.NaN, null);
    }

    public static Feedback label(String id, String correctLabel) {
        return new Feedback(id, Kind.LABEL, correctLabel, Double.NaN, null);
    }
}
