package dev.keel.api.iterate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Feedback;
import java.time.Instant;

/**
 * One served input as the shadow gate replays it: the text, what the serving model answered, and what the
 * user said about it, if anything.
 *
 * @param id           the inference id (with {@code #k} for the k-th text of a batch)
 * @param text         the input text
 * @param servedLabel  the label the serving model predicted, or null when unknown
 * @param feedback     the kind of feedback on it, or null when there is none
 * @param feedbackValue the label a LABEL or CORRECTION feedback gave, else null
 * @param at           when it was served
 */
public record CapturedInput(String id, String text, String servedLabel, Feedback.Kind feedback, String feedbackValue,
        Instant at) {
    public CapturedInput {
        if (text == null) {
            throw new InvalidInputException("a captured input needs its text");
        }
        at = at == null ? Instant.EPOCH : at;
    }

    /**
     * The correct label by the feedback, or null when there is none: LABEL and CORRECTION name it, a thumbs-up
     * confirms the served label, and a thumbs-down on a two-class model gives the other label.
     *
     * @param labels the model's labels, to resolve a thumbs-down; may be null
     */
    public String goldLabel(java.util.List<String> labels) {
        if (feedback == null) {
            return null;
        }
        return switch (feedback) {
            case LABEL, CORRECTION -> feedbackValue;
            case THUMBS_UP -> servedLabel;
            case THUMBS_DOWN -> labels != null && labels.size() == 2 && servedLabel != null && labels.contains(servedLabel)
                    ? labels.get(1 - labels.indexOf(servedLabel)) : null;
            default -> null;
        };
    }
}
