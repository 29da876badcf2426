package dev.keel.monitors;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A threshold on one snapshot value: {@code monitor/metric > limit} or {@code monitor/metric < limit}. The hub
 * raises an {@link dev.keel.api.monitor.Alert} when the value crosses the limit and re-arms when it comes
 * back, so a condition that holds for an hour raises one alert, not one per check.
 *
 * @param monitor   the monitor's name
 * @param metric    the key in its snapshot values
 * @param above     true to alert when the value is above the limit, false when below
 * @param threshold the limit
 */
public record AlertRule(String monitor, String metric, boolean above, double threshold) {
    private static final Pattern SYNTAX = Pattern.compile("\\s*([\\w.-]+)\\s*/\\s*([\\w.-]+)\\s*([<>])\\s*(\\S+)\\s*");

    public AlertRule {
        if (monitor == null || monitor.isBlank() || metric == null || metric.isBlank()) {
            throw new InvalidInputException("an alert rule needs a monitor and a metric, as in 'latency/latency_total_p99_seconds > 0.5'");
        }
        if (Double.isNaN(threshold)) {
            throw new InvalidInputException("alert rule " + monitor + "/" + metric + " has no threshold; give a number");
        }
    }

    public static AlertRule above(String monitor, String metric, double threshold) {
        return new AlertRule(monitor, metric, true, threshold);
    }

    public static AlertRule below(String monitor, String metric, double threshold) {
        return new AlertRule(monitor, metric, false, threshold);
    }

    /** Parses {@code monitor/metric > 0.5} (or {@code <}). */
    public static AlertRule parse(String text) {
        Matcher m = SYNTAX.matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new InvalidInputException("alert rule '" + text + "' is not of the form 'monitor/metric > number' "
                    + "(or '<'), e.g. 'latency/latency_total_p99_seconds > 0.5'");
        }
        double limit;
        try {
            limit = Double.parseDouble(m.group(4));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("alert rule '" + text + "' has threshold '" + m.group(4)
                    + "', which is not a number");
        }
        return new AlertRule(m.group(1), m.group(2), m.group(3).equals(">"), limit);
    }

    /** Whether {@code value} breaks the rule; NaN (not measured yet) never does. */
    public boolean breached(double value) {
        return !Double.isNaN(value) && (above ? value > threshold : value < threshold);
    }

    public String key() {
        return monitor + "/" + metric;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s/%s %s %s", monitor, metric, above ? ">" : "<", threshold);
    }
}
