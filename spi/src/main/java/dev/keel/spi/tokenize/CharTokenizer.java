package dev.keel.spi.tokenize;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.tokenize.TokenizerKind;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apiguardian.api.API;

/**
 * One token per Unicode code point, over the code points seen in the training corpus, in sorted order
 * (nanoGPT's {@code shakespeare_char} vocabulary: 65 characters for Tiny Shakespeare).
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;
    private final Map<Integer, Integer> index = new HashMap<>();

    public CharTokenizer(int[] sortedCodePoints) {
        if (sortedCodePoints.length == 0) {
            throw new InvalidInputException("a character tokenizer needs at least one character; is the corpus empty?");
        }
        this.codePoints = sortedCodePoints.clone();
        for (int i = 0; i < codePoints.length; i++) {
            if (i > 0 && codePoints[i] <= codePoints[i - 1]) {
                throw new InvalidInputException("a character tokenizer's code points must be sorted and distinct; "
                        + "U+" + Integer.toHexString(codePoints[i]) + " follows U+" + Integer.toHexString(codePoints[i - 1]));
            }
            index.put(codePoints[i], i);
        }
    }

    /** The vocabulary of a text: its distinct code points, sorted. */
    public static CharTokenizer fromText(CharSequence text) {
        TreeSet<Integer> set = new TreeSet<>();
        text.codePoints().forEach(set::add);
        return new CharTokenizer(set.stream().mapToInt(Integer::intValue).toArray());
    }

    public int[] codePoints() {
        return codePoints.clone();
    }

    @Override
    public TokenizerKind kind() {
        return TokenizerKind.CHAR;
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> {
            Integer id = index.get(cp);
            if (id == null) {
                throw new InvalidInputException("character '" + new String(Character.toChars(cp)) + "' (U+"
                        + String.format("%04X", cp) + ") is not in this model's " + codePoints.length
                        + "-character vocabulary; remove it from the input or train with --tokenizer byte");
            }
            return id;
        }).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= codePoints.length) {
                throw new InvalidInputException("token id " + id + " is outside the vocabulary of " + codePoints.length);
            }
            sb.appendCodePoint(codePoints[id]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharTokenizer c && Arrays.equals(codePoints, c.codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }
}
