package dev.keel.api.iterate;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one continuous-learning round did: the challenger it registered, every gate check, the metrics of
 * champion and challenger on every evaluation set, the data it trained on, and the decision.
 *
 * @param name              the model's name in the registry
 * @param trigger           why the round ran
 * @param championVersion   the version the {@code champion} alias held when the round started, null if none
 * @param challengerVersion the version registered for the challenger; null in a dry run or when training failed
 * @param decision          promoted, passed but waiting for approval, refused by a gate, or a dry run
 * @param gates             every gate check
 * @param metrics           evaluation set -> {@code champion}/{@code challenger} -> metric -> value
 * @param data              the data lineage: rows per source, fingerprints, findings of the data checks
 * @param coalesced         triggers that fired while this round ran and were folded into it
 * @param seconds           wall time of the round
 */
public record RoundResult(String name, Trigger trigger, Integer championVersion, Integer challengerVersion,
        Decision decision, GateReport gates, Map<String, Map<String, Map<String, Double>>> metrics,
        Map<String, Object> data, List<Trigger> coalesced, double seconds) {

    /** The outcome of a round. */
    public enum Decision {
        /** Every gate passed and the champion alias now names the challenger. */
        PROMOTED,
        /** Every gate passed; promotion waits for a person (keel registry alias). */
        AWAITING_APPROVAL,
        /** At least one gate failed; serving is untouched. */
        REFUSED,
        /** Nothing was trained: the plan of what would be trained and gated. */
        DRY_RUN
    }

    public RoundResult {
        if (name == null || decision == null || trigger == null) {
            throw new InvalidInputException("a round result needs the model name, the trigger and a decision");
        }
        gates = gates == null ? new GateReport(List.of()) : gates;
        metrics = metrics == null ? Map.of() : deepCopy(metrics);
        data = data == null ? Map.of() : new LinkedHashMap<>(data);
        coalesced = coalesced == null ? List.of() : List.copyOf(coalesced);
    }

    public boolean promoted() {
        return decision == Decision.PROMOTED;
    }

    /** The same round with triggers that were folded into it while it ran. */
    public RoundResult withCoalesced(List<Trigger> folded) {
        List<Trigger> all = new ArrayList<>(coalesced);
        all.addAll(folded);
        return new RoundResult(name, trigger, championVersion, challengerVersion, decision, gates, metrics, data, all,
                seconds);
    }

    /** The JSON of {@code keel iterate}: challenger_version, promoted, gates, metrics, seconds, and more. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("challenger_version", challengerVersion);
        m.put("promoted", promoted());
        m.put("gates", gates.results().stream().map(GateResult::toMap).toList());
        m.put("metrics", metrics);
        m.put("seconds", seconds);
        m.put("name", name);
        m.put("champion_version", championVersion);
        m.put("decision", decision.name().toLowerCase(java.util.Locale.ROOT));
        m.put("gates_passed", gates.passed());
        m.put("trigger", triggerMap(trigger));
        m.put("coalesced_triggers", coalesced.size());
        m.put("data", data);
        return m;
    }

    /** A trigger as the round's JSON and record show it. */
    public static Map<String, Object> triggerMap(Trigger t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", t.kind().name().toLowerCase(java.util.Locale.ROOT));
        m.put("source", t.source());
        m.put("detail", t.detail());
        m.put("at", t.at().toString());
        return m;
    }

    private static Map<String, Map<String, Map<String, Double>>> deepCopy(
            Map<String, Map<String, Map<String, Double>>> in) {
        Map<String, Map<String, Map<String, Double>>> out = new LinkedHashMap<>();
        in.forEach((set, byRole) -> {
            Map<String, Map<String, Double>> roles = new LinkedHashMap<>();
            byRole.forEach((role, values) -> roles.put(role, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values))));
            out.put(set, java.util.Collections.unmodifiableMap(roles));
        });
        return java.util.Collections.unmodifiableMap(out);
    }
}
