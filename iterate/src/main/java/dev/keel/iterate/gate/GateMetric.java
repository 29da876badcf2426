package dev.keel.iterate.gate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.GateKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The metrics a round measures and gates can name, with their gate family and direction. A gate on a name
 * not listed here is refused when it is parsed, because it could never be measured and would only fail
 * the round after training.
 *
 * @param name            the metric's name in gate expressions and in the round's metrics
 * @param kind            the gate family
 * @param greaterIsBetter the direction
 * @param measuredOn      what the metric is measured on, for messages
 */
public record GateMetric(String name, GateKind kind, boolean greaterIsBetter, String measuredOn) {
    /** The new data's held-out part. */
    public static final String HELDOUT = "heldout";
    /** The bias probes. */
    public static final String BIAS = "bias";
    /** Recently served inputs, replayed. */
    public static final String SHADOW = "shadow";
    /** Prefix of the per-backend serving sets, {@code serving:onnx}. */
    public static final String SERVING_PREFIX = "serving:";
    /** The forgetting gate's own name; it compares {@code accuracy} on the golden sets. */
    public static final String FORGETTING = "forgetting";
    /** A language model's exp(mean next-token loss) on a text (response tokens only for prompt-response). */
    public static final String PERPLEXITY = "perplexity";
    /** Metrics only a classifier round measures. */
    public static final java.util.Set<String> CLASSIFIER_ONLY = java.util.Set.of("accuracy", "macro_f1", "ece",
            "shadow_accuracy");

    private static final Map<String, GateMetric> KNOWN = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = Map.of(
            "parity_ratio", "demographic_parity_ratio",
            "four_fifths_ratio", "demographic_parity_ratio",
            "counterfactual_flip_rate", "flip_rate",
            "agreement", "shadow_agreement");

    static {
        String labelled = "a labelled set (the held-out new data by default, or @GOLDEN)";
        add("accuracy", GateKind.QUALITY, true, labelled);
        add("macro_f1", GateKind.QUALITY, true, labelled);
        add("loss", GateKind.QUALITY, false, labelled);
        add("ece", GateKind.QUALITY, false, labelled);
        add(PERPLEXITY, GateKind.QUALITY, false, "a language model's text (the held-out new text by default, or "
                + "@GOLDEN): exp of the mean next-token loss");
        add(FORGETTING, GateKind.FORGETTING, false, "each golden set: the champion's accuracy minus the challenger's");
        add("flip_rate", GateKind.BIAS, false, "the counterfactual bias probes");
        add("mean_abs_change", GateKind.BIAS, false, "the counterfactual bias probes");
        add("demographic_parity_difference", GateKind.BIAS, false, "the bias probes' groups");
        add("equalized_odds_difference", GateKind.BIAS, false, "the bias probes' groups");
        add("demographic_parity_ratio", GateKind.BIAS, true, "the bias probes' groups (four-fifths rule: >= 0.8)");
        add("answers", GateKind.SERVING, true, "each serving backend: the share of golden requests answered");
        add("latency_ratio", GateKind.SERVING, false, "each serving backend: challenger p99 / champion p99");
        add("shadow_agreement", GateKind.SHADOW, true, "recently served inputs: share predicted as the champion did");
        add("shadow_accuracy", GateKind.SHADOW, true, "recently served inputs that have feedback");
    }

    private static void add(String name, GateKind kind, boolean greater, String on) {
        KNOWN.put(name, new GateMetric(name, kind, greater, on));
    }

    public static Optional<GateMetric> find(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return Optional.ofNullable(KNOWN.get(ALIASES.getOrDefault(n, n)));
    }

    public static GateMetric require(String name, String expression) {
        return find(name).orElseThrow(() -> new InvalidInputException("gate '" + expression + "' names the metric '"
                + name + "', which a round does not measure; known metrics: " + String.join(", ", KNOWN.keySet())
                + " (aliases " + String.join(", ", ALIASES.keySet()) + ")"));
    }

    public static List<GateMetric> all() {
        return List.copyOf(KNOWN.values());
    }

    /** Where the metric is measured when the gate names no set. */
    public String defaultScope() {
        return switch (kind) {
            case QUALITY -> HELDOUT;
            case FORGETTING -> "every golden set";
            case BIAS -> BIAS;
            case SHADOW -> SHADOW;
            case SERVING -> "every serving backend";
        };
    }
}
