package dev.keel.monitors.builtin;

import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.drift.DriftMethod;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.monitors.drift.DriftWindow;
import dev.keel.monitors.drift.FeatureDrift;
import dev.keel.monitors.drift.TextDescriptors;
import dev.keel.monitors.drift.TextDrift;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Quality signals of causal LM output, towards fewer hallucinations: the repetition rate (the share of word
 * trigrams that repeat an earlier one), output length in tokens and characters, how unlike the reference
 * prompts a prompt is (the share of its character trigrams never seen in the first {@code reference_size}
 * prompts), and, with a {@link PerplexityScorer}, the model's own perplexity of its output on a sample of
 * generations. Each signal is also tracked for drift like any descriptor.
 *
 * <p>Settings ({@code keel.monitor.generation.*}): {@code reference_size} (200), {@code current_size} (200),
 * {@code min_rows} (30), {@code perplexity_sample_rate} (0.1), {@code max_reference_trigrams} (200,000).
 */
public final class GenerationQualityMonitor implements Monitor {
    public static final String NAME = "generation";
    private static final List<String> SIGNALS = List.of("repetition_rate", "output_tokens", "output_chars",
            "prompt_ood_score", "self_perplexity");

    private final PerplexityScorer scorer;
    private final double sampleRate;
    private final int referenceSize;
    private final int maxTrigrams;
    private final int minRows;
    private final DriftWindow window;
    private final Set<String> referenceTrigrams = new HashSet<>();
    private final Map<String, double[]> sums = new HashMap<>();
    private final Random random = new Random(1);
    private int referencePrompts;
    private long generations;

    public GenerationQualityMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    public GenerationQualityMonitor(MonitorConfig config) {
        this(config, null);
    }

    public GenerationQualityMonitor(MonitorConfig config, PerplexityScorer scorer) {
        MonitorConfig c = config.forMonitor(NAME);
        this.scorer = scorer;
        this.sampleRate = c.number("perplexity_sample_rate", 0.1);
        this.referenceSize = Math.max(2, c.integer("reference_size", 200));
        this.maxTrigrams = c.integer("max_reference_trigrams", 200_000);
        this.minRows = Math.max(2, c.integer("min_rows", 30));
        this.window = new DriftWindow(referenceSize, Math.max(2, c.integer("current_size", 200)));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The share of word trigrams that repeat an earlier trigram of the same text (0 for fewer than 4 words). */
    public static double repetitionRate(String text) {
        List<String> words = TextDescriptors.words(text);
        if (words.size() < 4) {
            return 0;
        }
        Set<String> seen = new HashSet<>();
        int repeats = 0;
        int total = 0;
        for (int i = 0; i + 2 < words.size(); i++) {
            total++;
            if (!seen.add(words.get(i) + ' ' + words.get(i + 1) + ' ' + words.get(i + 2))) {
                repeats++;
            }
        }
        return (double) repeats / total;
    }

    @Override
    public synchronized void onInference(InferenceEvent e) {
        if (e.failed() || e.operation() != Operation.GENERATE || e.outputs().isEmpty()) {
            return;
        }
        generations++;
        String prompt = e.inputs().isEmpty() ? "" : e.inputs().get(0);
        String output = e.outputs().get(0);
        Map<String, Double> signals = new LinkedHashMap<>();
        signals.put("repetition_rate", repetitionRate(output));
        signals.put("output_tokens", (double) e.outputTokens());
        signals.put("output_chars", (double) output.length());
        signals.put("prompt_ood_score", promptOod(prompt));
        if (scorer != null && random.nextDouble() < sampleRate) {
            try {
                signals.put("self_perplexity", scorer.perplexity(prompt, output));
            } finally {
                // a failing scorer surfaces through the hub's error count, the other signals stay recorded
                record(signals);
            }
            return;
        }
        record(signals);
    }

    private void record(Map<String, Double> signals) {
        signals.forEach((k, v) -> {
            if (v != null && !v.isNaN()) {
                window.add(k, v);
                double[] s = sums.computeIfAbsent(k, x -> new double[2]);
                s[0] += v;
                s[1]++;
            }
        });
    }

    private double promptOod(String prompt) {
        Set<String> grams = trigrams(prompt);
        if (referencePrompts < referenceSize) {
            referencePrompts++;
            for (String g : grams) {
                if (referenceTrigrams.size() < maxTrigrams) {
                    referenceTrigrams.add(g);
                }
            }
            return Double.NaN;
        }
        if (grams.isEmpty()) {
            return 0;
        }
        long unseen = grams.stream().filter(g -> !referenceTrigrams.contains(g)).count();
        return (double) unseen / grams.size();
    }

    private static Set<String> trigrams(String text) {
        String t = text.toLowerCase(java.util.Locale.ROOT);
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 3 <= t.length(); i++) {
            out.add(t.substring(i, i + 3));
        }
        return out;
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("generations_total", (double) generations);
        for (String s : SIGNALS) {
            double[] sum = sums.get(s);
            v.put(s + "_mean", sum == null || sum[1] == 0 ? Double.NaN : sum[0] / sum[1]);
        }
        DriftReport r = window.report(DriftMethod.AUTO, Double.NaN, TextDrift.DEFAULT_DRIFT_SHARE, minRows);
        for (FeatureDrift t : r.tests()) {
            v.put(t.feature() + "_drift_score", t.score());
            v.put(t.feature() + "_drifted", t.drifted() ? 1.0 : 0.0);
        }
        return new MonitorSnapshot(NAME, Instant.now(), v, Map.of("drift", r.toMap()));
    }
}
