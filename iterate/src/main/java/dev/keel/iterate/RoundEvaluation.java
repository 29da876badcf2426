package dev.keel.iterate;

import dev.keel.adapters.Labels;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.eval.BiasEvaluation;
import dev.keel.iterate.eval.BiasProbes;
import dev.keel.iterate.eval.Predictions;
import dev.keel.iterate.eval.ServingCheck;
import dev.keel.iterate.eval.ShadowEvaluation;
import dev.keel.iterate.gate.Evaluations;
import dev.keel.iterate.gate.GateMetric;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Measures champion and challenger on every evaluation set of a round, the same way for both. */
final class RoundEvaluation {
    private RoundEvaluation() { }

    /**
     * @param heldout          the held-out part of the new data
     * @param golden           frozen golden sets by name
     * @param probes           bias probes, or null
     * @param positiveLabels   favourable labels for the bias figures
     * @param shadow           captured inputs to replay, or null
     * @param servingBackends  backends the serving gate loads the challenger on
     * @param servingRequests  texts the serving gate sends
     */
    record Inputs(List<LabelledRow> heldout, Map<String, List<LabelledRow>> golden, BiasProbes probes,
            List<String> positiveLabels, List<CapturedInput> shadow, List<String> servingBackends,
            List<String> servingRequests) { }

    /**
     * @param evaluations the figures
     * @param notes       why a serving check failed, by set
     */
    record Measured(Evaluations evaluations, Map<String, String> notes) { }

    static Measured measure(KeelRuntime runtime, Path championDir, Path challengerDir, Inputs in, Consumer<String> say) {
        Map<String, Map<String, Double>> challenger = new LinkedHashMap<>();
        Map<String, Map<String, Double>> champion = championDir == null ? null : new LinkedHashMap<>();
        Map<String, String> notes = new LinkedHashMap<>();
        say.accept("evaluating champion and challenger");
        try (InferenceSession c = runtime.open(ModelRef.of(challengerDir));
                InferenceSession b = championDir == null ? null : runtime.open(ModelRef.of(championDir))) {
            Labels labels = Predictions.labels(c);
            if (!in.heldout().isEmpty()) {
                both(challenger, champion, GateMetric.HELDOUT, s -> Predictions.quality(s, labels, in.heldout(),
                        "the held-out new data"), c, b);
            }
            in.golden().forEach((name, rows) -> both(challenger, champion, name,
                    s -> Predictions.quality(s, labels, rows, "golden set " + name), c, b));
            if (in.probes() != null) {
                both(challenger, champion, GateMetric.BIAS, s -> BiasEvaluation.measure(s, in.probes(),
                        in.positiveLabels()), c, b);
            }
            if (in.shadow() != null) {
                Map<String, Map<String, Double>> shadow = ShadowEvaluation.measure(b, c, in.shadow(), labels);
                challenger.put(GateMetric.SHADOW, shadow.get("challenger"));
                if (champion != null) {
                    champion.put(GateMetric.SHADOW, shadow.get("champion"));
                }
            }
        }
        serving(runtime, championDir, challengerDir, in.servingBackends(), in.servingRequests(),
                (s, r) -> s.classify(List.of(r)).predictions().size() == 1, challenger, champion, notes, say);
        return new Measured(new Evaluations(challenger, champion, List.copyOf(in.golden().keySet())), notes);
    }

    /**
     * The serving gate's figures: each backend loads both models and answers the golden requests with {@code call};
     * the challenger's p99 is divided by the champion's on the same backend.
     */
    static void serving(KeelRuntime runtime, Path championDir, Path challengerDir, List<String> backends,
            List<String> requests, ServingCheck.Call call, Map<String, Map<String, Double>> challenger,
            Map<String, Map<String, Double>> champion, Map<String, String> notes, Consumer<String> say) {
        for (String backend : backends) {
            say.accept("serving check on " + backend);
            KeelRuntime on = KeelRuntime.builder().backends(runtime.backends()).backend(backend)
                    .device(runtime.device()).build();
            String set = GateMetric.SERVING_PREFIX + backend;
            ServingCheck.Result cr = ServingCheck.measure(() -> on.open(ModelRef.of(challengerDir)), requests, call);
            Map<String, Double> cm = new LinkedHashMap<>(cr.metrics());
            if (cr.error() != null) {
                notes.put(set, "challenger: " + cr.error());
            }
            if (championDir != null) {
                ServingCheck.Result br = ServingCheck.measure(() -> on.open(ModelRef.of(championDir)), requests, call);
                Map<String, Double> bm = new LinkedHashMap<>(br.metrics());
                if (br.error() != null) {
                    notes.put(set + " (champion)", br.error());
                }
                double cp = cm.getOrDefault(ServingCheck.P99_MS, Double.NaN);
                double bp = bm.getOrDefault(ServingCheck.P99_MS, Double.NaN);
                cm.put(ServingCheck.LATENCY_RATIO, cp / bp);
                bm.put(ServingCheck.LATENCY_RATIO, 1.0);
                champion.put(set, bm);
            }
            challenger.put(set, cm);
        }
    }

    private static void both(Map<String, Map<String, Double>> challenger, Map<String, Map<String, Double>> champion,
            String set, java.util.function.Function<InferenceSession, Map<String, Double>> measure, InferenceSession c,
            InferenceSession b) {
        challenger.put(set, measure.apply(c));
        if (b != null) {
            champion.put(set, measure.apply(b));
        }
    }
}
