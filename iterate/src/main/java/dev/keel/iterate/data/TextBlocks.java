package dev.keel.iterate.data;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.TextCorpus;
import dev.keel.spi.data.CorpusTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Plain text cut into blocks for a language model's round: the unit that is split into training and held-out
 * parts, replayed, and checked for leakage. A block ends at a line end, never inside a line (so never inside a
 * token): at a blank line (a paragraph or document end) once it holds {@value #MIN_CHARS} characters, or at any
 * line end once it holds four times that, so text without blank lines (one sentence per line) is cut too.
 */
public final class TextBlocks {
    /** The least a block holds before a paragraph end closes it. */
    public static final int MIN_CHARS = 256;
    /** Lines shorter than this (after normalising) are too common ("Exeunt.") to prove leakage. */
    static final int LEAK_LINE_CHARS = 32;

    private TextBlocks() { }

    /** The text of a file, or of a folder's regular files in name order (as {@link TextCorpus} reads it). */
    public static String read(Path source) {
        TextCorpus corpus = TextCorpus.of(source).requireExists();
        StringBuilder sb = new StringBuilder();
        try {
            for (Path f : CorpusTokenizer.files(corpus)) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                sb.append(text);
                if (!text.isEmpty() && !text.endsWith("\n")) {
                    sb.append('\n');
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot read the text " + source + " (UTF-8 expected): " + e.getMessage(), e);
        }
        return sb.toString();
    }

    /** The text's blocks, in order; blank-only text has none. */
    public static List<String> cut(String text) {
        List<String> blocks = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end + 1;
            String line = text.substring(start, end);
            start = end;
            current.append(line);
            if (!line.endsWith("\n")) {
                current.append('\n');
            }
            boolean paragraphEnd = line.isBlank();
            if ((paragraphEnd && current.length() >= MIN_CHARS) || current.length() >= 4 * MIN_CHARS) {
                add(blocks, current);
            }
        }
        add(blocks, current);
        return blocks;
    }

    private static void add(List<String> blocks, StringBuilder current) {
        if (!current.toString().isBlank()) {
            blocks.add(current.toString());
        }
        current.setLength(0);
    }

    /**
     * @param train      the training blocks, in text order
     * @param heldout    the held-out blocks, in text order
     * @param duplicates repeated blocks dropped before the split (so none is on both sides)
     */
    public record Split(List<String> train, List<String> heldout, int duplicates) {
        public Split {
            train = List.copyOf(train);
            heldout = List.copyOf(heldout);
        }
    }

    /**
     * A seeded split by whole blocks: {@link StratifiedSplit#heldoutCount} blocks are held out, the rest train; each
     * part keeps the text's order.
     */
    public static Split split(List<String> blocks, double heldoutFraction, long seed) {
        List<String> unique = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String b : blocks) {
            if (seen.add(TextKey.of(b))) {
                unique.add(b);
            }
        }
        int n = unique.size();
        int held = StratifiedSplit.heldoutCount(n, heldoutFraction);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        Set<Integer> heldIdx = new HashSet<>(order.subList(0, held));
        List<String> train = new ArrayList<>();
        List<String> heldout = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (heldIdx.contains(i) ? heldout : train).add(unique.get(i));
        }
        return new Split(train, heldout, blocks.size() - n);
    }

    /**
     * Replay: whole blocks of the champion's text drawn at random (seeded) until they hold {@code fraction} of the
     * training mixture's characters, {@code newChars * fraction / (1 - fraction)}, or the pool runs out.
     */
    public static List<String> sample(List<String> pool, long newChars, double fraction, long seed) {
        Replay.count(1, fraction); // validates the fraction with its message
        long want = Math.round(newChars * fraction / (1 - fraction));
        List<String> shuffled = new ArrayList<>(pool);
        Collections.shuffle(shuffled, new Random(seed));
        List<String> out = new ArrayList<>();
        long have = 0;
        for (String b : shuffled) {
            if (have >= want) {
                break;
            }
            out.add(b);
            have += b.length();
        }
        return out;
    }

    /** New and replayed blocks interleaved (seeded), so neither sits at one end of the training text. */
    public static List<String> mix(List<String> fresh, List<String> replay, long seed) {
        List<String> all = new ArrayList<>(fresh);
        all.addAll(replay);
        Collections.shuffle(all, new Random(seed ^ 0x5DEECE66DL));
        return all;
    }

    public static long chars(List<String> blocks) {
        return blocks.stream().mapToLong(String::length).sum();
    }

    public static String join(List<String> blocks) {
        return String.join("", blocks);
    }

    /**
     * Evaluation text a training block must not contain: every normalised line of at least
     * {@value #LEAK_LINE_CHARS} characters (and every whole block) of the evaluation texts.
     */
    public static Set<String> evaluationKeys(List<String> evaluationTexts) {
        Set<String> keys = new LinkedHashSet<>();
        for (String text : evaluationTexts) {
            for (String block : cut(text)) {
                keys.add(TextKey.of(block));
                for (String line : block.split("\n")) {
                    String k = TextKey.of(line);
                    if (k.length() >= LEAK_LINE_CHARS) {
                        keys.add(k);
                    }
                }
            }
        }
        return keys;
    }

    /** Whether a training block is (or holds a long line of) evaluation text. */
    public static boolean leaks(String block, Set<String> evaluationKeys) {
        if (evaluationKeys.contains(TextKey.of(block))) {
            return true;
        }
        for (String line : block.split("\n")) {
            String k = TextKey.of(line);
            if (k.length() >= LEAK_LINE_CHARS && evaluationKeys.contains(k)) {
                return true;
            }
        }
        return false;
    }
}
