package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.monitor.Feedback;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Counts over the feedback and the captured calls a {@link CaptureFilter} selects.
 *
 * @param feedback          pieces of feedback
 * @param byKind            pieces by kind (every kind present, zero when there is none)
 * @param matched           feedback whose call is in the log
 * @param unmatched         feedback whose call is not in the log (never captured, sampled out, or expired); kept
 * @param calls             captured calls
 * @param callsWithFeedback captured calls that have at least one piece of feedback
 * @param exports           training-data exports written from this store
 * @param oldest            the oldest feedback's time, or null when there is none
 * @param newest            the newest feedback's time, or null when there is none
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record FeedbackStats(long feedback, Map<Feedback.Kind, Long> byKind, long matched, long unmatched, long calls,
        long callsWithFeedback, long exports, Instant oldest, Instant newest) {

    public FeedbackStats {
        EnumMap<Feedback.Kind, Long> all = new EnumMap<>(Feedback.Kind.class);
        for (Feedback.Kind k : Feedback.Kind.values()) {
            all.put(k, byKind == null ? 0L : byKind.getOrDefault(k, 0L));
        }
        byKind = Collections.unmodifiableMap(all);
    }

    /** The counts as flat {@code name -> count} pairs (kinds in lower case), as {@code keel feedback stats} prints them. */
    public Map<String, Long> counts() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("feedback", feedback);
        byKind.forEach((k, v) -> m.put(k.name().toLowerCase(java.util.Locale.ROOT), v));
        m.put("matched", matched);
        m.put("unmatched", unmatched);
        m.put("calls", calls);
        m.put("calls_with_feedback", callsWithFeedback);
        m.put("exports", exports);
        return m;
    }
}
