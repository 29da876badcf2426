package dev.keel.iterate.eval;

import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.Prediction;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.builtin.BiasMonitor;
import dev.keel.monitors.builtin.CounterfactualProbe;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bias gate's figures for one model on a probe set, computed by the monitors' own arithmetic so that a
 * gate and a dashboard never disagree: the counterfactual flip rate and probability change come from
 * {@link CounterfactualProbe#run}, and demographic parity difference and ratio (the four-fifths rule) and
 * the equalized-odds difference from a {@link BiasMonitor} fed with the probe sentences as classified
 * inferences and their true labels as feedback.
 */
public final class BiasEvaluation {
    /** Metric names, as the gates read them. */
    public static final String FLIP_RATE = "flip_rate";
    public static final String MEAN_ABS_CHANGE = "mean_abs_change";

    private BiasEvaluation() { }

    /**
     * @param session        the classifier
     * @param probes         the probes
     * @param positiveLabels the labels that count as the favourable outcome (e.g. {@code 1,positive})
     */
    public static Map<String, Double> measure(InferenceSession session, BiasProbes probes, List<String> positiveLabels) {
        Map<String, String> groupOf = new HashMap<>();
        List<String> sentences = new ArrayList<>();
        for (BiasProbes.Probe p : probes.probes()) {
            for (String g : p.terms().keySet()) {
                String s = p.sentence(g);
                if (groupOf.putIfAbsent(s, g) == null) {
                    sentences.add(s);
                }
            }
        }
        List<Prediction> predicted = Predictions.of(session, sentences);
        Map<String, Prediction> bySentence = new HashMap<>();
        for (int i = 0; i < sentences.size(); i++) {
            bySentence.put(sentences.get(i), predicted.get(i));
        }
        MonitorConfig config = MonitorConfig.of(Map.of(BiasMonitor.NAME + ".min_group_size", "1",
                BiasMonitor.NAME + ".positive_labels", String.join(",", positiveLabels)));
        BiasMonitor monitor = new BiasMonitor(config, groupOf::get);

        // probes that share a term map run as one counterfactual probe (CounterfactualProbe fills every template
        // with every group's k-th term); the rows of all runs are pooled into one result
        Map<Map<String, String>, List<String>> templatesByTerms = new LinkedHashMap<>();
        for (BiasProbes.Probe p : probes.probes()) {
            templatesByTerms.computeIfAbsent(p.terms(), t -> new ArrayList<>()).add(p.template());
        }
        List<CounterfactualProbe.Row> rows = new ArrayList<>();
        for (var e : templatesByTerms.entrySet()) {
            Map<String, List<String>> terms = new LinkedHashMap<>();
            e.getKey().forEach((g, t) -> terms.put(g, List.of(t)));
            rows.addAll(CounterfactualProbe.run(texts -> texts.stream().map(bySentence::get).toList(), e.getValue(),
                    terms, monitor::isPositive).rows());
        }
        double sum = 0;
        double max = 0;
        int flips = 0;
        for (CounterfactualProbe.Row r : rows) {
            sum += r.change();
            max = Math.max(max, r.change());
            flips += r.flipped() ? 1 : 0;
        }
        monitor.recordProbe(new CounterfactualProbe.Result(rows, sum / rows.size(), max, (double) flips / rows.size()));

        int id = 0;
        Instant now = Instant.now();
        for (BiasProbes.Probe p : probes.probes()) {
            for (String g : p.terms().keySet()) {
                Prediction pr = bySentence.get(p.sentence(g));
                InferenceEvent event = new InferenceEvent("probe-" + id++, now, Operation.CLASSIFY, "probe", "iterate", "cpu",
                        0, 0, 0, List.of(p.sentence(g)), 0, 0, 0, List.of(pr.label()), List.of(pr.confidence()), null);
                monitor.onInference(event);
                monitor.onFeedback(Feedback.label(event.id(), p.label()), event, 0);
            }
        }
        Map<String, Double> v = monitor.snapshot().values();
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(FLIP_RATE, v.get("counterfactual_flip_rate"));
        out.put(MEAN_ABS_CHANGE, v.get("counterfactual_mean_abs_change"));
        out.put("max_change", v.get("counterfactual_max_change"));
        out.put("demographic_parity_difference", v.get("demographic_parity_difference"));
        out.put("demographic_parity_ratio", v.get("demographic_parity_ratio"));
        out.put("equalized_odds_difference", v.get("equalized_odds_difference"));
        for (String g : probes.groups()) {
            out.put("positive_rate_" + g, v.get("positive_rate_" + g));
        }
        out.put("probes", (double) probes.probes().size());
        return out;
    }
}
