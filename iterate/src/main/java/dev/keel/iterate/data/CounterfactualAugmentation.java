package dev.keel.iterate.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counterfactual data augmentation (CDA): every training row that mentions a dictionary term gets a copy with
 * each term swapped for its counterpart ({@code he} for {@code she}, {@code his} for {@code her}) and the same
 * label, so the training data says as often "she" as "he" for each label and a model cannot learn the group
 * as a cue. Copies are marked {@code augmented:cda} in the round's lineage.
 *
 * <p>Case follows the original word ({@code He} -> {@code She}, {@code HIS} -> {@code HER}). A term with two
 * counterparts (English {@code her}: {@code his} or {@code him}) takes the first (possessive) one when the next
 * word is a content word ("her phone" -> "his phone") and the second otherwise ("told her." -> "told him.",
 * "gave her the" -> "gave him the").
 */
public final class CounterfactualAugmentation {
    public static final String SOURCE = LabelledRow.AUGMENTED_PREFIX + "cda";
    private static final Pattern WORD = Pattern.compile("\\p{L}+");
    /** Words after which an ambiguous term reads as an object, not a possessive. */
    private static final Set<String> FUNCTION_WORDS = Set.of("a", "an", "the", "and", "or", "but", "to", "for",
            "of", "in", "on", "at", "with", "from", "by", "about", "as", "than", "that", "this", "these", "those",
            "so", "too", "very", "up", "out", "off", "back", "down", "again", "once", "is", "was", "were", "are",
            "be", "been", "if", "when", "because", "while", "until", "who", "which", "what", "some", "any", "it",
            "all", "more", "most", "after", "before", "over", "into", "though", "yet", "not", "no", "just", "still",
            "s", "t", "d", "ll", "re", "ve", "m");

    private CounterfactualAugmentation() { }

    /** The text with every dictionary term swapped; the same text when it mentions none. */
    public static String swap(String text, TermPairs pairs) {
        return swap(text, pairs.counterparts());
    }

    static String swap(String text, Map<String, List<String>> counterparts) {
        Matcher m = WORD.matcher(text);
        StringBuilder out = new StringBuilder(text.length() + 8);
        int last = 0;
        while (m.find()) {
            String word = m.group();
            List<String> to = counterparts.get(word.toLowerCase(Locale.ROOT));
            if (to == null) {
                continue;
            }
            String replacement = to.size() == 1 ? to.get(0) : choose(text, m.end(), to);
            out.append(text, last, m.start()).append(matchCase(word, replacement));
            last = m.end();
        }
        return out.append(text, last, text.length()).toString();
    }

    private static String choose(String text, int end, List<String> options) {
        Matcher next = WORD.matcher(text);
        // only the very next token counts: punctuation in between means the term ended a phrase
        int i = end;
        while (i < text.length() && text.charAt(i) == ' ') {
            i++;
        }
        if (i < text.length() && next.find(i) && next.start() == i
                && !FUNCTION_WORDS.contains(next.group().toLowerCase(Locale.ROOT))) {
            return options.get(0);
        }
        return options.get(1);
    }

    static String matchCase(String original, String replacement) {
        if (original.length() > 1 && original.equals(original.toUpperCase(Locale.ROOT))) {
            return replacement.toUpperCase(Locale.ROOT);
        }
        if (Character.isUpperCase(original.charAt(0))) {
            return Character.toUpperCase(replacement.charAt(0)) + replacement.substring(1);
        }
        return replacement;
    }

    /** The counterfactual copies of the rows that mention a term (the originals are not included). */
    public static List<LabelledRow> copies(List<LabelledRow> rows, TermPairs pairs) {
        Map<String, List<String>> counterparts = pairs.counterparts();
        List<LabelledRow> out = new ArrayList<>();
        for (LabelledRow r : rows) {
            String swapped = swap(r.text(), counterparts);
            if (!swapped.equals(r.text())) {
                out.add(new LabelledRow(swapped, r.label(), SOURCE, r.weight()));
            }
        }
        return out;
    }
}
