package dev.keel.monitors.drift;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Numbers that describe a text without a model, so that input drift can be tested like tabular data:
 * length in characters and words, mean word length, the share of words outside the reference vocabulary,
 * the share of non-letter characters and the share of upper-case letters.
 *
 * <p>The out-of-vocabulary share needs a vocabulary, which comes from the reference texts themselves. A
 * reference text's own words would always be "in vocabulary", so for reference rows it is computed leave
 * one out: a word counts as unseen when no other reference text holds it. Reference and current values are
 * then measured the same way and the descriptor does not drift on same-distribution data.
 */
public final class TextDescriptors {
    public static final List<String> NAMES = List.of("length_chars", "words", "mean_word_length", "oov_share",
            "non_letter_share", "uppercase_share");

    private final List<String> reference;
    private final Map<String, Integer> documentFrequency;

    private TextDescriptors(List<String> reference, Map<String, Integer> documentFrequency) {
        this.reference = reference;
        this.documentFrequency = documentFrequency;
    }

    /** Learns the vocabulary from reference texts. */
    public static TextDescriptors fit(List<String> reference) {
        Map<String, Integer> df = new HashMap<>();
        for (String text : reference) {
            for (String w : documentWords(text)) {
                df.merge(w, 1, Integer::sum);
            }
        }
        return new TextDescriptors(List.copyOf(reference), df);
    }

    /**
     * Descriptors over a vocabulary counted elsewhere (a distributed count of the reference texts): word to
     * the number of reference texts that hold it. {@link #describeReference()} needs the texts themselves and
     * is not available; {@link #describeReference(String)} describes one reference text.
     */
    public static TextDescriptors fromDocumentFrequency(Map<String, Integer> documentFrequency) {
        return new TextDescriptors(List.of(), Map.copyOf(documentFrequency));
    }

    /** The words a vocabulary is counted from: each distinct word of a text once. */
    public static Set<String> documentWords(String text) {
        return new HashSet<>(words(text));
    }

    public int vocabularySize() {
        return documentFrequency.size();
    }

    /** A current text's descriptors, in {@link #NAMES} order. */
    public double[] describe(String text) {
        return describe(text, w -> !documentFrequency.containsKey(w));
    }

    /** The reference texts' descriptors, with the out-of-vocabulary share left one out. */
    public double[][] describeReference() {
        double[][] rows = new double[reference.size()][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = describeReference(reference.get(i));
        }
        return rows;
    }

    /** One reference text's descriptors, its own words left out of the vocabulary (seen in no other text). */
    public double[] describeReference(String text) {
        return describe(text, w -> documentFrequency.getOrDefault(w, 0) <= 1);
    }

    /** Column {@code k} of {@code rows}. */
    public static double[] column(double[][] rows, int k) {
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i][k];
        }
        return out;
    }

    private static double[] describe(String text, java.util.function.Predicate<String> unseen) {
        List<String> words = words(text);
        int letters = 0;
        int upper = 0;
        int nonLetters = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetter(cp)) {
                letters++;
                if (Character.isUpperCase(cp)) {
                    upper++;
                }
            } else if (!Character.isWhitespace(cp)) {
                nonLetters++;
            }
        }
        int wordChars = 0;
        int oov = 0;
        for (String w : words) {
            wordChars += w.length();
            if (unseen.test(w)) {
                oov++;
            }
        }
        return new double[] {
            text.length(),
            words.size(),
            words.isEmpty() ? 0 : (double) wordChars / words.size(),
            words.isEmpty() ? 0 : (double) oov / words.size(),
            letters + nonLetters == 0 ? 0 : (double) nonLetters / (letters + nonLetters),
            letters == 0 ? 0 : (double) upper / letters
        };
    }

    /**
     * Lower-cased words: runs of letters and digits, with an apostrophe suffix kept ({@code don't}). A hand
     * loop rather than a regex because monitors run it on every input.
     */
    public static List<String> words(String text) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            while (i < n && !Character.isLetterOrDigit(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && Character.isLetterOrDigit(text.charAt(i))) {
                i++;
            }
            if (i + 1 < n && text.charAt(i) == '\'' && Character.isLetter(text.charAt(i + 1)) && i > start) {
                i++;
                while (i < n && Character.isLetter(text.charAt(i))) {
                    i++;
                }
            }
            if (i > start) {
                out.add(text.substring(start, i).toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    /** The words of a text as a set, for callers that only need membership. */
    public static Set<String> wordSet(String text) {
        return new HashSet<>(words(text));
    }
}
