package dev.keel.monitors.builtin;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.AlertRule;
import dev.keel.monitors.DefaultAlerts;
import dev.keel.monitors.FeedbackJoin;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.drift.TextDescriptors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Group fairness of a classifier: per group, the positive prediction rate (demographic parity difference
 * max - min and ratio min / max) and, from labelled feedback, true and false positive rates (equalized-odds
 * difference: the larger of the TPR and FPR gaps). The default alert is the four-fifths rule: a parity
 * ratio below 0.8. Counterfactual probe results ({@link CounterfactualProbe}) are shown alongside.
 *
 * <p>A text's group comes from a resolver the host gives, or by default from protected terms: a text that
 * mentions the terms of exactly one group belongs to it. Settings ({@code keel.monitor.bias.*}):
 * {@code groups} ({@code female:she|her|woman|women|girl;male:he|his|him|man|men|boy}), {@code positive_labels}
 * ({@code 1,positive,pos,true}), {@code min_group_size} (30: groups with fewer predictions are not compared).
 */
public final class BiasMonitor implements Monitor, FeedbackJoin, DefaultAlerts {
    public static final String NAME = "bias";
    public static final String DEFAULT_GROUPS = "female:she|her|hers|woman|women|girl|girls|mother|daughter;"
            + "male:he|his|him|man|men|boy|boys|father|son";

    private final Function<String, String> groupOf;
    private final Set<String> positive;
    private final int minGroupSize;
    private final Map<String, long[]> counts = new LinkedHashMap<>();
    private volatile CounterfactualProbe.Result probe;

    public BiasMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    public BiasMonitor(MonitorConfig config) {
        this(config, null);
    }

    /** @param groupOf the group of an input text, or null to use the configured protected terms */
    public BiasMonitor(MonitorConfig config, Function<String, String> groupOf) {
        MonitorConfig c = config.forMonitor(NAME);
        this.groupOf = groupOf != null ? groupOf : termGroups(c.string("groups", DEFAULT_GROUPS));
        List<String> pos = c.list("positive_labels");
        this.positive = new HashSet<>(pos.isEmpty() ? List.of("1", "positive", "pos", "true") : pos);
        this.minGroupSize = c.integer("min_group_size", 30);
    }

    /** Parses {@code group:term|term;group:term} into a resolver by protected terms. */
    public static Function<String, String> termGroups(String spec) {
        Map<String, Set<String>> groups = new LinkedHashMap<>();
        for (String part : spec.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int colon = part.indexOf(':');
            if (colon <= 0) {
                throw new InvalidInputException("bias group '" + part + "' is not 'name:term|term'; e.g. "
                        + DEFAULT_GROUPS);
            }
            Set<String> terms = new HashSet<>();
            for (String t : part.substring(colon + 1).split("\\|")) {
                if (!t.isBlank()) {
                    terms.add(t.trim().toLowerCase(java.util.Locale.ROOT));
                }
            }
            groups.put(part.substring(0, colon).trim(), terms);
        }
        Map<String, String> groupOfTerm = new java.util.HashMap<>();
        groups.forEach((g, terms) -> terms.forEach(t -> groupOfTerm.put(t, g)));
        return text -> {
            String found = null;
            for (String w : TextDescriptors.words(text)) {
                String g = groupOfTerm.get(w);
                if (g != null && !g.equals(found)) {
                    if (found != null) {
                        return null;
                    }
                    found = g;
                }
            }
            return found;
        };
    }

    @Override
    public String name() {
        return NAME;
    }

    public boolean isPositive(String label) {
        return label != null && positive.contains(label.toLowerCase(java.util.Locale.ROOT));
    }

    // counts per group: [predictions, predicted positive, labelled, TP, FP, actual positives, actual negatives]
    @Override
    public synchronized void onInference(InferenceEvent e) {
        if (e.failed() || e.operation() != Operation.CLASSIFY) {
            return;
        }
        for (int i = 0; i < Math.min(e.inputs().size(), e.outputs().size()); i++) {
            String group = groupOf.apply(e.inputs().get(i));
            if (group != null) {
                long[] c = counts.computeIfAbsent(group, g -> new long[7]);
                c[0]++;
                if (isPositive(e.outputs().get(i))) {
                    c[1]++;
                }
            }
        }
    }

    @Override
    public void onFeedback(Feedback feedback) {
        onFeedback(feedback, null, 0);
    }

    @Override
    public synchronized void onFeedback(Feedback f, InferenceEvent inference, int item) {
        if (f.kind() != Feedback.Kind.LABEL || inference == null || item >= inference.inputs().size()
                || item >= inference.outputs().size()) {
            return;
        }
        String group = groupOf.apply(inference.inputs().get(item));
        if (group == null) {
            return;
        }
        long[] c = counts.computeIfAbsent(group, g -> new long[7]);
        boolean predicted = isPositive(inference.outputs().get(item));
        boolean actual = isPositive(f.value());
        c[2]++;
        if (actual) {
            c[5]++;
            if (predicted) {
                c[3]++;
            }
        } else {
            c[6]++;
            if (predicted) {
                c[4]++;
            }
        }
    }

    /** Shows a counterfactual probe's result in the snapshot and the report. */
    public void recordProbe(CounterfactualProbe.Result result) {
        this.probe = result;
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        Map<String, Double> v = new LinkedHashMap<>();
        List<Map<String, Object>> table = new ArrayList<>();
        double maxRate = Double.NEGATIVE_INFINITY;
        double minRate = Double.POSITIVE_INFINITY;
        double minTpr = Double.POSITIVE_INFINITY;
        double maxTpr = Double.NEGATIVE_INFINITY;
        double minFpr = Double.POSITIVE_INFINITY;
        double maxFpr = Double.NEGATIVE_INFINITY;
        int measured = 0;
        int oddsGroups = 0;
        for (Map.Entry<String, long[]> g : counts.entrySet()) {
            long[] c = g.getValue();
            double rate = c[0] == 0 ? Double.NaN : (double) c[1] / c[0];
            double tpr = c[5] == 0 ? Double.NaN : (double) c[3] / c[5];
            double fpr = c[6] == 0 ? Double.NaN : (double) c[4] / c[6];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("group", g.getKey());
            row.put("predictions", c[0]);
            row.put("positive_rate", rate);
            row.put("labelled", c[2]);
            row.put("true_positive_rate", tpr);
            row.put("false_positive_rate", fpr);
            table.add(row);
            v.put("positive_rate_" + g.getKey(), rate);
            if (c[0] >= minGroupSize) {
                measured++;
                maxRate = Math.max(maxRate, rate);
                minRate = Math.min(minRate, rate);
            }
            if (c[5] >= minGroupSize / 3 && c[6] >= minGroupSize / 3 && c[5] > 0 && c[6] > 0) {
                oddsGroups++;
                minTpr = Math.min(minTpr, tpr);
                maxTpr = Math.max(maxTpr, tpr);
                minFpr = Math.min(minFpr, fpr);
                maxFpr = Math.max(maxFpr, fpr);
            }
        }
        boolean comparable = measured >= 2;
        v.put("groups_measured", (double) measured);
        v.put("demographic_parity_difference", comparable ? maxRate - minRate : Double.NaN);
        v.put("demographic_parity_ratio", !comparable ? Double.NaN : maxRate == 0 ? 1.0 : minRate / maxRate);
        v.put("equalized_odds_difference", oddsGroups < 2 ? Double.NaN : Math.max(maxTpr - minTpr, maxFpr - minFpr));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("groups", table);
        d.put("min_group_size", minGroupSize);
        CounterfactualProbe.Result p = probe;
        if (p != null) {
            v.put("counterfactual_mean_abs_change", p.meanAbsoluteChange());
            v.put("counterfactual_max_change", p.maxChange());
            v.put("counterfactual_flip_rate", p.flipRate());
            d.put("counterfactual", p.toMap());
        }
        return new MonitorSnapshot(NAME, Instant.now(), v, d);
    }

    @Override
    public List<AlertRule> defaultAlerts() {
        return List.of(AlertRule.below(NAME, "demographic_parity_ratio", 0.8));
    }
}
