package dev.keel.iterate.gate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.GateKind;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One promotion gate: a {@link MetricThreshold} on a metric, measured on one evaluation set or on every set of
 * its family. Written on the command line as
 * <ul>
 *   <li>{@code METRIC[@SET]>=NUMBER} or {@code <=NUMBER}: an absolute threshold, e.g. {@code accuracy>=0.85};
 *       the operator must match the metric's direction;</li>
 *   <li>{@code METRIC[@SET]:KEY=NUMBER[,KEY=NUMBER...]} with keys {@code threshold}, {@code min_abs_change},
 *       {@code min_rel_change} (MLflow's names; {@code min_absolute_change}/{@code min_relative_change} too),
 *       e.g. {@code accuracy:min_abs_change=0.01};</li>
 *   <li>{@code forgetting[@GOLDEN]<=D}: on each golden set (or the one named) the challenger's accuracy may be
 *       at most D below the champion's ({@code min_abs_change = -D} on accuracy);</li>
 *   <li>a bias metric with an operator, e.g. {@code flip_rate<=0.05}, also requires the challenger to be no
 *       worse than the champion ({@code min_abs_change = 0}), as the loop's bias gate is defined; the
 *       {@code :threshold=} form checks only what it names.</li>
 * </ul>
 * Without {@code @SET} a quality metric is measured on the held-out new data, a bias metric on the bias
 * probes, a shadow metric on the replayed inputs, and a serving metric on every serving backend.
 *
 * @param expression the gate as written
 * @param kind       the gate family
 * @param metric     the metric compared ({@code accuracy} for forgetting)
 * @param set        the evaluation set, or null for the metric's default scope
 * @param threshold  the comparison
 */
public record Gate(String expression, GateKind kind, String metric, String set, MetricThreshold threshold) {
    private static final Pattern OPERATOR = Pattern.compile(
            "\\s*([A-Za-z_][\\w]*)\\s*(?:@\\s*([^\\s<>=:]+))?\\s*(>=|<=|=>|=<|>|<|==|=)\\s*(\\S+)\\s*");
    private static final Pattern KEYED = Pattern.compile(
            "\\s*([A-Za-z_][\\w]*)\\s*(?:@\\s*([^\\s<>=:]+))?\\s*:\\s*(.+)");

    public Gate {
        if (expression == null || kind == null || metric == null || threshold == null) {
            throw new InvalidInputException("a gate needs its expression, kind, metric and threshold");
        }
    }

    /** Parses one {@code --gate} expression; bad syntax, unknown metrics and wrong directions are refused. */
    public static Gate parse(String expression) {
        String text = expression == null ? "" : expression.trim();
        Matcher op = OPERATOR.matcher(text);
        if (op.matches()) {
            return fromOperator(text, op.group(1), op.group(2), op.group(3), op.group(4));
        }
        Matcher keyed = KEYED.matcher(text);
        if (keyed.matches()) {
            return fromKeys(text, keyed.group(1), keyed.group(2), keyed.group(3));
        }
        throw new InvalidInputException("gate '" + expression + "' is not 'METRIC[@SET]>=N', 'METRIC[@SET]<=N' or "
                + "'METRIC[@SET]:min_abs_change=N'; e.g. 'accuracy>=0.85', 'accuracy:min_abs_change=0.01', "
                + "'forgetting<=0.01', 'flip_rate<=0.05'");
    }

    private static Gate fromOperator(String text, String name, String set, String operator, String number) {
        GateMetric m = GateMetric.require(name, text);
        if (!operator.equals(">=") && !operator.equals("<=")) {
            throw new InvalidInputException("gate '" + text + "' uses '" + operator + "'; gates compare with >= or <= "
                    + "(as MLflow's thresholds do), e.g. " + m.name() + (m.greaterIsBetter() ? ">=" : "<=") + "0.5");
        }
        double value = number(text, number);
        boolean greater = operator.equals(">=");
        if (greater != m.greaterIsBetter()) {
            throw new InvalidInputException("gate '" + text + "': " + m.name() + " is better when "
                    + (m.greaterIsBetter() ? "higher" : "lower") + ", so its gate reads " + m.name()
                    + (m.greaterIsBetter() ? ">=" : "<=") + number);
        }
        String s = set == null ? null : set.trim();
        if (m.kind() == GateKind.FORGETTING) {
            if (value < 0) {
                throw new InvalidInputException("gate '" + text + "': forgetting is the accuracy the challenger may "
                        + "lose against the champion on a golden set, so it is 0 or more, e.g. forgetting<=0.01");
            }
            return new Gate(text, GateKind.FORGETTING, "accuracy", s,
                    new MetricThreshold(null, value == 0 ? 0.0 : -value, null, true));
        }
        Double noWorse = m.kind() == GateKind.BIAS ? 0.0 : null;
        return new Gate(text, m.kind(), m.name(), s, new MetricThreshold(value, noWorse, null, m.greaterIsBetter()));
    }

    private static Gate fromKeys(String text, String name, String set, String body) {
        GateMetric m = GateMetric.require(name, text);
        if (m.kind() == GateKind.FORGETTING) {
            throw new InvalidInputException("gate '" + text + "': write the forgetting gate as forgetting<=D (the "
                    + "accuracy the challenger may lose on each golden set)");
        }
        Map<String, Double> keys = new LinkedHashMap<>();
        for (String part : body.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new InvalidInputException("gate '" + text + "': '" + part.trim() + "' is not KEY=NUMBER; keys are "
                        + "threshold, min_abs_change and min_rel_change");
            }
            String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            key = switch (key) {
                case "min_absolute_change" -> "min_abs_change";
                case "min_relative_change" -> "min_rel_change";
                default -> key;
            };
            if (!key.equals("threshold") && !key.equals("min_abs_change") && !key.equals("min_rel_change")) {
                throw new InvalidInputException("gate '" + text + "' has the key '" + key + "'; keys are threshold, "
                        + "min_abs_change and min_rel_change (MLflow's MetricThreshold)");
            }
            if (keys.put(key, number(text, part.substring(eq + 1).trim())) != null) {
                throw new InvalidInputException("gate '" + text + "' sets " + key + " twice");
            }
        }
        return new Gate(text, m.kind(), m.name(), set == null ? null : set.trim(),
                new MetricThreshold(keys.get("threshold"), keys.get("min_abs_change"), keys.get("min_rel_change"),
                        m.greaterIsBetter()));
    }

    private static double number(String text, String number) {
        try {
            double v = Double.parseDouble(number);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("gate '" + text + "' has '" + number + "' where a number belongs");
        }
    }

    /** A gate built in code: {@code threshold} on {@code metric} over {@code set} (null: the default scope). */
    public static Gate of(String metric, String set, MetricThreshold threshold) {
        GateMetric m = GateMetric.require(metric, metric);
        if (m.greaterIsBetter() != threshold.greaterIsBetter()) {
            throw new InvalidInputException(metric + " is better when " + (m.greaterIsBetter() ? "higher" : "lower")
                    + "; build its threshold with greaterIsBetter " + m.greaterIsBetter());
        }
        String text = metric + (set == null ? "" : "@" + set) + " " + threshold;
        return new Gate(text, m.kind(), m.name(), set, threshold);
    }
}
