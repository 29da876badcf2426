package dev.keel.adapters;

import dev.keel.api.InvalidInputException;
import dev.keel.api.adapt.ClassWeighting;
import java.util.Arrays;

/**
 * Per-class loss weights against class imbalance, as {@link ClassWeighting} names them. {@code balanced} is scikit-learn's rule,
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

    /** The weights {@code weighting} gives classes with these example counts. */
    public static float[] of(ClassWeighting weighting, int[] counts) {
        switch (weighting) {
            case NONE:
                return none(counts.length);
            case BALANCED:
                return balanced(counts);
            case AUTO:
                int min = Arrays.stream(counts).min().orElse(0);
                int max = Arrays.stream(counts).max().orElse(0);
                return max > 1.5 * min ? balanced(counts) : none(counts.length);
            default:
                throw new InvalidInputException("unknown class weighting " + weighting + "; expected auto, balanced or none");
        }
    }
}
