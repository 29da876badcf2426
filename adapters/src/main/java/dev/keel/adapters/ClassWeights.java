package dev.keel.adapters;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Per-class loss weights against class imbalance. {@code balanced} is scikit-learn's rule,
 * {@code n / (classes * count[c])}: each class then carries the same total weight, so a rare class is not
 * drowned out by a frequent one. {@code none} weighs every example alike.
 */
public final class ClassWeights {
    private ClassWeights() { }

    public static float[] none(int classes) {
        float[] w = new float[classes];
        Arrays.fill(w, 1f);
        return w;
    }

    public static float[] balanced(int[] counts) {
        long n = Arrays.stream(counts).asLongStream().sum();
        float[] w = new float[counts.length];
        for (int c = 0; c < counts.length; c++) {
            // a class without training examples cannot be learned; weight 0 keeps the loss finite
            w[c] = counts[c] == 0 ? 0f : (float) ((double) n / (counts.length * (double) counts[c]));
        }
        return w;
    }

    /** {@code balanced}, {@code none}, or {@code auto} (balanced when the largest class is 1.5x the smallest). */
    public static float[] parse(String mode, int[] counts) {
        String m = mode == null ? "auto" : mode.trim().toLowerCase(Locale.ROOT);
        switch (m) {
            case "none":
                return none(counts.length);
            case "balanced":
                return balanced(counts);
            case "auto":
                int min = Arrays.stream(counts).min().orElse(0);
                int max = Arrays.stream(counts).max().orElse(0);
                return max > 1.5 * min ? balanced(counts) : none(counts.length);
            default:
                throw new InvalidInputException("unknown class weighting '" + mode + "'; expected auto, balanced or none");
        }
    }
}
