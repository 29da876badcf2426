package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.monitor.Feedback;
import java.time.Instant;
import org.apiguardian.api.API;

/**
 * A piece of feedback as the store keeps it, joined to the call it is about.
 *
 * @param sequence   the store's order of recording (1, 2, 3, ...)
 * @param feedback   what the user said, as given
 * @param callId     the inference id the feedback names, without a {@code #k} item suffix
 * @param item       which text of the call's batch ({@code k} of {@code id#k}; 0 for a plain id)
 * @param recordedAt when the store committed it
 * @param matched    whether the call is in the inference log (at the time of the answer: feedback that
 *                   arrives before its call is written, or outlives its call's retention, is kept either way)
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record StoredFeedback(long sequence, Feedback feedback, String callId, int item, Instant recordedAt,
        boolean matched) {

    /** Splits a feedback id into the call id and the item: {@code abc#2} is item 2 of call {@code abc}. */
    public static String callId(String inferenceId) {
        int hash = inferenceId.lastIndexOf('#');
        if (hash < 0) {
            return inferenceId;
        }
        String tail = inferenceId.substring(hash + 1);
        return !tail.isEmpty() && tail.length() < 10 && tail.chars().allMatch(Character::isDigit)
                ? inferenceId.substring(0, hash) : inferenceId;
    }

    /** The item a feedback id names: {@code k} of {@code id#k}, else 0. */
    public static int item(String inferenceId) {
        String call = callId(inferenceId);
        return call.length() == inferenceId.length() ? 0 : Integer.parseInt(inferenceId.substring(call.length() + 1));
    }
}
