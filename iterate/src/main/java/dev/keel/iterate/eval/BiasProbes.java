package dev.keel.iterate.eval;

import dev.keel.api.InvalidInputException;
import dev.keel.iterate.data.BundledData;
import dev.keel.monitors.builtin.CounterfactualProbe;
import dev.keel.spi.checkpoint.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counterfactual bias probes: sentences with one protected term replaced by {@code {term}}, the term each
 * group puts there, and the sentence's true label. Each probe yields one sentence per group with the same
 * gold label, so the counterfactual probe measures flips and the group metrics (demographic parity,
 * equalized odds) measure only how the model treats the groups.
 *
 * <p>File format: JSONL, one probe per line,
 * {@code {"template": "{term} 's a charming actor .", "terms": {"male": "he", "female": "she"}, "label": "1"}}.
 * {@link #sst2Gender()} is the default: {@value #DEFAULT_RESOURCE}, built from SST-2 sentences that mention one
 * gendered word (see the NOTICE next to it).
 *
 * @param probes the probes, in file order
 */
public record BiasProbes(List<Probe> probes) {
    public static final String DEFAULT_RESOURCE = "/dev/keel/iterate/bias-probes-sst2-gender.jsonl";

    /**
     * @param template a sentence with one {@code {term}} slot
     * @param terms    group -> the term that group puts in the slot (the same groups on every probe)
     * @param label    the sentence's true label
     */
    public record Probe(String template, Map<String, String> terms, String label) {
        public Probe {
            if (template == null || !template.contains(CounterfactualProbe.SLOT)) {
                throw new InvalidInputException("a bias probe's template needs one " + CounterfactualProbe.SLOT
                        + " slot, got '" + template + "'");
            }
            if (terms == null || terms.size() < 2) {
                throw new InvalidInputException("a bias probe needs a term for at least two groups, got " + terms);
            }
            if (label == null || label.isBlank()) {
                throw new InvalidInputException("a bias probe needs the sentence's true label: '" + template + "'");
            }
            terms = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(terms));
        }

        /** The filled sentence of one group. */
        public String sentence(String group) {
            return template.replace(CounterfactualProbe.SLOT, terms.get(group));
        }
    }

    public BiasProbes {
        if (probes == null || probes.isEmpty()) {
            throw new InvalidInputException("the bias probe set is empty; give at least one probe");
        }
        probes = List.copyOf(probes);
        Set<String> groups = probes.get(0).terms().keySet();
        for (Probe p : probes) {
            if (!p.terms().keySet().equals(groups)) {
                throw new InvalidInputException("every bias probe must name the same groups " + groups + "; '"
                        + p.template() + "' names " + p.terms().keySet());
            }
        }
    }

    public List<String> groups() {
        return List.copyOf(probes.get(0).terms().keySet());
    }

    /** Every filled sentence, for the leakage check. */
    public List<String> sentences() {
        List<String> out = new ArrayList<>();
        for (Probe p : probes) {
            for (String g : p.terms().keySet()) {
                out.add(p.sentence(g));
            }
        }
        return out;
    }

    /** The labels the probes use. */
    public Set<String> labels() {
        Set<String> s = new LinkedHashSet<>();
        probes.forEach(p -> s.add(p.label()));
        return s;
    }

    /** The default SST-2 gender probes shipped in this jar. */
    public static BiasProbes sst2Gender() {
        return read("default");
    }

    /** Reads a probe file; {@code default} names {@link #sst2Gender()}. */
    public static BiasProbes read(String fileOrDefault) {
        return BundledData.parse(fileOrDefault, DEFAULT_RESOURCE, "bias probe file",
                "a JSONL of {template, terms, label} lines", BiasProbes::parse);
    }

    public static BiasProbes parse(String text, String source) {
        List<Probe> probes = new ArrayList<>();
        String[] lines = text.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            Map<String, Object> o;
            try {
                o = Json.parseObject(lines[i], source + " line " + (i + 1));
            } catch (RuntimeException e) {
                throw new InvalidInputException(source + " line " + (i + 1) + " is not a JSON object: " + e.getMessage());
            }
            if (!(o.get("template") instanceof String template) || !(o.get("terms") instanceof Map<?, ?> terms)
                    || o.get("label") == null) {
                throw new InvalidInputException(source + " line " + (i + 1) + " needs \"template\" (text with {term}), "
                        + "\"terms\" (group -> term) and \"label\"");
            }
            Map<String, String> t = new LinkedHashMap<>();
            terms.forEach((k, v) -> t.put(String.valueOf(k), String.valueOf(v)));
            Object label = o.get("label");
            String l = label instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    ? Long.toString(n.longValue()) : label.toString();
            try {
                probes.add(new Probe(template, t, l));
            } catch (InvalidInputException e) {
                throw new InvalidInputException(source + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return new BiasProbes(probes);
    }
}
