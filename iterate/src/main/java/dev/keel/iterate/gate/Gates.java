package dev.keel.iterate.gate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateReport;
import dev.keel.api.iterate.GateResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates every gate on every set in its scope and reports every check: there is no early exit, so a
 * refused challenger's report lists all of its failures at once.
 */
public final class Gates {
    private Gates() { }

    public static GateReport evaluate(List<Gate> gates, Evaluations e) {
        List<GateResult> out = new ArrayList<>();
        for (Gate g : gates) {
            List<String> sets = scope(g, e);
            if (sets.isEmpty()) {
                out.add(new GateResult(g.expression(), g.kind(), "", g.metric(), Double.NaN, Double.NaN, Double.NaN,
                        g.threshold().comparison(), false, "nothing to measure it on: " + missingScope(g)));
                continue;
            }
            for (String set : sets) {
                out.addAll(g.threshold().check(g.kind(), set, g.metric(), e.challenger(set, g.metric()),
                        e.champion(set, g.metric()), e.hasChampion()));
            }
        }
        return new GateReport(out);
    }

    /** The sets a gate is checked on. */
    public static List<String> scope(Gate g, Evaluations e) {
        if (g.set() != null) {
            return List.of(g.set());
        }
        return switch (g.kind()) {
            case QUALITY -> List.of(GateMetric.HELDOUT);
            case FORGETTING -> e.goldenSets();
            case BIAS -> List.of(GateMetric.BIAS);
            case SHADOW -> List.of(GateMetric.SHADOW);
            case SERVING -> e.servingSets();
        };
    }

    /**
     * Refuses, before any training, gates that could never be measured with the configured sets: a forgetting
     * gate without golden sets, a gate on a golden set that was not given, a serving gate without backends.
     *
     * @param goldenSets      the golden sets' names
     * @param servingBackends backends the serving gate loads the challenger on
     * @param hasBiasProbes   whether bias probes are configured
     * @param hasShadow       whether captured inputs are configured
     */
    public static void validate(List<Gate> gates, List<String> goldenSets, List<String> servingBackends,
            boolean hasBiasProbes, boolean hasShadow) {
        for (Gate g : gates) {
            if (g.set() != null) {
                boolean known = g.set().equals(GateMetric.HELDOUT) || goldenSets.contains(g.set())
                        || g.set().equals(GateMetric.BIAS) || g.set().equals(GateMetric.SHADOW)
                        || (g.set().startsWith(GateMetric.SERVING_PREFIX)
                                && servingBackends.contains(g.set().substring(GateMetric.SERVING_PREFIX.length())));
                if (!known) {
                    throw new InvalidInputException("gate '" + g.expression() + "' names the set '" + g.set()
                            + "', which this round does not evaluate; sets: heldout, " + (goldenSets.isEmpty() ? ""
                                    : String.join(", ", goldenSets) + " (golden), ") + "bias, shadow, serving:BACKEND");
                }
            }
            boolean measurable = switch (g.kind()) {
                case FORGETTING -> g.set() != null || !goldenSets.isEmpty();
                case BIAS -> hasBiasProbes;
                case SHADOW -> hasShadow;
                case SERVING -> g.set() != null || !servingBackends.isEmpty();
                case QUALITY -> true;
            };
            if (!measurable) {
                throw new InvalidInputException("gate '" + g.expression() + "' cannot be measured: "
                        + missingScope(g));
            }
        }
    }

    private static String missingScope(Gate g) {
        return switch (g.kind()) {
            case FORGETTING -> "no golden set was given; pass --golden FILE (e.g. the original dev set)";
            case BIAS -> "no bias probes are configured; pass --bias-probes FILE or --bias-probes default";
            case SHADOW -> "no captured inputs are configured; pass --shadow FILE";
            case SERVING -> "no serving backend is configured; pass --serve-on BACKEND";
            case QUALITY -> "the held-out part of the new data is empty";
        };
    }

    /** Whether any gate belongs to {@code kind} (so the round measures what it needs and nothing more). */
    public static boolean any(List<Gate> gates, GateKind kind) {
        return gates.stream().anyMatch(g -> g.kind() == kind);
    }
}
