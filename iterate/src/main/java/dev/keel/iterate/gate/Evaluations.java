package dev.keel.iterate.gate;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The measured figures a round gates on: for challenger and champion, evaluation set -> metric -> value.
 *
 * @param challenger  the challenger's figures
 * @param champion    the champion's figures on the same sets, or null when there is no champion
 * @param goldenSets  the names of the frozen golden sets (the forgetting gate's scope), in order
 */
public record Evaluations(Map<String, Map<String, Double>> challenger, Map<String, Map<String, Double>> champion,
        List<String> goldenSets) {

    public Evaluations {
        if (challenger == null) {
            throw new InvalidInputException("evaluations need the challenger's figures");
        }
        challenger = copy(challenger);
        champion = champion == null ? null : copy(champion);
        goldenSets = goldenSets == null ? List.of() : List.copyOf(goldenSets);
    }

    private static Map<String, Map<String, Double>> copy(Map<String, Map<String, Double>> in) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        // values may be NaN (not measured); Map.copyOf would keep them, but keep insertion order for reports
        in.forEach((set, values) -> out.put(set, Collections.unmodifiableMap(new LinkedHashMap<>(values))));
        return Collections.unmodifiableMap(out);
    }

    public boolean hasChampion() {
        return champion != null;
    }

    public Double challenger(String set, String metric) {
        return value(challenger, set, metric);
    }

    public Double champion(String set, String metric) {
        return champion == null ? null : value(champion, set, metric);
    }

    private static Double value(Map<String, Map<String, Double>> m, String set, String metric) {
        Map<String, Double> s = m.get(set);
        return s == null ? null : s.get(metric);
    }

    /** The per-backend serving sets the challenger was measured on. */
    public List<String> servingSets() {
        List<String> out = new ArrayList<>();
        for (String s : challenger.keySet()) {
            if (s.startsWith(GateMetric.SERVING_PREFIX)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Set -> {@code champion}/{@code challenger} -> metric -> value, the shape of a round's {@code metrics}. */
    public Map<String, Map<String, Map<String, Double>>> byRole() {
        Map<String, Map<String, Map<String, Double>>> out = new LinkedHashMap<>();
        List<String> sets = new ArrayList<>(challenger.keySet());
        if (champion != null) {
            champion.keySet().stream().filter(s -> !sets.contains(s)).forEach(sets::add);
        }
        for (String s : sets) {
            Map<String, Map<String, Double>> roles = new LinkedHashMap<>();
            if (champion != null && champion.containsKey(s)) {
                roles.put("champion", champion.get(s));
            }
            if (challenger.containsKey(s)) {
                roles.put("challenger", challenger.get(s));
            }
            out.put(s, roles);
        }
        return out;
    }
}
