package dev.keel.monitors;

import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;

/**
 * A monitor that wants feedback together with the inference it is about. The hub keeps a bounded index of
 * recent inferences by id and hands both over, so each monitor does not keep its own copy.
 *
 * <p>Feedback on one text of a batch names it as {@code id#k} (k counted from 0); plain {@code id} means
 * item 0.
 */
public interface FeedbackJoin {
    /**
     * @param feedback  what the user said
     * @param inference the inference it refers to, or null when it is unknown or too old to be indexed
     * @param item      which text of the inference's batch
     */
    void onFeedback(Feedback feedback, InferenceEvent inference, int item);

    /** Splits {@code id#k} into the inference id and the item index. */
    static int item(String feedbackId) {
        int hash = feedbackId.lastIndexOf('#');
        if (hash < 0) {
            return 0;
        }
        try {
            return Integer.parseInt(feedbackId.substring(hash + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String inferenceId(String feedbackId) {
        int hash = feedbackId.lastIndexOf('#');
        if (hash < 0) {
            return feedbackId;
        }
        String tail = feedbackId.substring(hash + 1);
        return !tail.isEmpty() && tail.chars().allMatch(Character::isDigit) ? feedbackId.substring(0, hash) : feedbackId;
    }
}
