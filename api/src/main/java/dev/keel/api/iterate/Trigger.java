package dev.keel.api.iterate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Alert;
import java.time.Duration;
import java.time.Instant;

/**
 * Why a continuous-learning round started.
 *
 * @param kind   what fired
 * @param source the alert's {@code monitor/metric}, the feedback count, the interval, or who started it by hand
 * @param detail a sentence for the round's record
 * @param at     when it fired
 */
public record Trigger(Kind kind, String source, String detail, Instant at) {
    /** The four ways a round starts. */
    public enum Kind { ALERT, FEEDBACK, INTERVAL, MANUAL }

    public Trigger {
        if (kind == null) {
            throw new InvalidInputException("a trigger needs a kind: alert, feedback, interval or manual");
        }
        source = source == null ? "" : source;
        detail = detail == null ? "" : detail;
        at = at == null ? Instant.now() : at;
    }

    public static Trigger manual(String who) {
        return new Trigger(Kind.MANUAL, who, "started by hand", null);
    }

    public static Trigger alert(Alert alert) {
        return new Trigger(Kind.ALERT, alert.monitor() + "/" + alert.metric(), alert.message(), alert.raised());
    }

    public static Trigger feedback(long count, long threshold) {
        return new Trigger(Kind.FEEDBACK, Long.toString(count), count + " new labelled feedback items (threshold "
                + threshold + ")", null);
    }

    public static Trigger interval(Duration every) {
        return new Trigger(Kind.INTERVAL, every.toString(), "scheduled every " + every, null);
    }
}
