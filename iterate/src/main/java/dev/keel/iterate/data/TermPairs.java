package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A dictionary of term pairs for counterfactual data augmentation and for the groups of reweighing: each
 * pair names the same role for two groups ({@code he}/{@code she}). Terms are single words, matched case
 * insensitively on word boundaries.
 *
 * <p>File format (UTF-8): an optional first line {@code groups<TAB>A<TAB>B} naming the two groups (default
 * {@code male}, {@code female}), then one pair per line, {@code termA<TAB>termB} (a comma also separates);
 * blank lines and lines starting with {@code #} are skipped. A term may appear in two pairs (English
 * {@code her} is both {@code his}'s and {@code him}'s counterpart); {@link CounterfactualAugmentation} then
 * chooses by the following word.
 *
 * <p>{@link #englishGender()} is the documented default: {@value #DEFAULT_RESOURCE} in this jar, 50-odd pairs
 * of English gendered words (pronouns, family and social roles, titles, common occupations with gendered
 * forms). Its weakness is the weakness of the method: names, other languages and any word it does not list
 * are left alone.
 *
 * @param groupA the group of the first terms
 * @param groupB the group of the second terms
 * @param pairs  the pairs, lower case, in file order
 */
public record TermPairs(String groupA, String groupB, List<Pair> pairs) {
    public static final String DEFAULT_RESOURCE = "/dev/keel/iterate/term-pairs-en-gender.tsv";

    /** Two terms for the same role. */
    public record Pair(String a, String b) { }

    public TermPairs {
        if (groupA == null || groupB == null || groupA.isBlank() || groupB.isBlank() || groupA.equals(groupB)) {
            throw new InvalidInputException("term pairs need two distinct group names, got " + groupA + " and " + groupB);
        }
        if (pairs == null || pairs.isEmpty()) {
            throw new InvalidInputException("the term-pair dictionary is empty; give at least one pair such as he<TAB>she");
        }
        pairs = List.copyOf(pairs);
    }

    /** The default English gendered pairs shipped in this jar. */
    public static TermPairs englishGender() {
        return read("default");
    }

    /** Reads a pair file; {@code default} names {@link #englishGender()}. */
    public static TermPairs read(String fileOrDefault) {
        return BundledData.parse(fileOrDefault, DEFAULT_RESOURCE, "term-pair file", "a TSV of termA<TAB>termB lines",
                TermPairs::parse);
    }

    public static TermPairs parse(String text, String source) {
        String a = "male";
        String b = "female";
        List<Pair> pairs = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        String[] lines = text.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("[\\t,]");
            if (parts.length != 2 && !(parts.length == 3 && parts[0].strip().equalsIgnoreCase("groups"))) {
                throw new InvalidInputException(source + " line " + (i + 1) + " is '" + line + "'; expected "
                        + "termA<TAB>termB (or groups<TAB>A<TAB>B on the first line)");
            }
            if (parts.length == 3) {
                if (!pairs.isEmpty()) {
                    throw new InvalidInputException(source + " line " + (i + 1) + ": the groups line must come first");
                }
                a = parts[1].strip();
                b = parts[2].strip();
                continue;
            }
            String ta = parts[0].strip().toLowerCase(Locale.ROOT);
            String tb = parts[1].strip().toLowerCase(Locale.ROOT);
            if (!ta.matches("\\p{L}+") || !tb.matches("\\p{L}+")) {
                throw new InvalidInputException(source + " line " + (i + 1) + ": terms are single words of letters, got '"
                        + ta + "' and '" + tb + "'");
            }
            if (ta.equals(tb)) {
                throw new InvalidInputException(source + " line " + (i + 1) + " pairs '" + ta + "' with itself");
            }
            if (seen.add(ta + "\t" + tb)) {
                pairs.add(new Pair(ta, tb));
            }
        }
        return new TermPairs(a, b, pairs);
    }

    /** Every term's counterparts, in file order (usually one; {@code her} has {@code his} and {@code him}). */
    public Map<String, List<String>> counterparts() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Pair p : pairs) {
            add(m, p.a(), p.b());
            add(m, p.b(), p.a());
        }
        return m;
    }

    private static void add(Map<String, List<String>> m, String from, String to) {
        List<String> l = m.computeIfAbsent(from, k -> new ArrayList<>());
        if (!l.contains(to)) {
            l.add(to);
        }
    }

    /**
     * The groups as {@link dev.keel.monitors.builtin.BiasMonitor#termGroups} reads them
     * ({@code A:t|t;B:t|t}), so reweighing and the bias monitor assign texts to groups by the same rule.
     */
    public String groupSpec() {
        Set<String> as = new LinkedHashSet<>();
        Set<String> bs = new LinkedHashSet<>();
        for (Pair p : pairs) {
            as.add(p.a());
            bs.add(p.b());
        }
        return groupA + ":" + String.join("|", as) + ";" + groupB + ":" + String.join("|", bs);
    }
}
