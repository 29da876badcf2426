package dev.keel.adapters;

import dev.keel.api.InvalidInputException;

/**
 * Adaptation settings that {@link dev.keel.api.adapt.AdaptationSpec} does not carry, shared by every
 * engine's adapter ({@link TunableAdapter}).
 *
 * @param classWeights   auto, balanced or none ({@link ClassWeights#parse})
 * @param patience       dev evaluations without a better accuracy before stopping; 0 never stops early
 * @param evalEvery      steps between dev evaluations; 0 evaluates once per epoch
 * @param warmupFraction share of steps with linear learning-rate warmup
 * @param headHidden     width of a tanh hidden layer in a {@code head}; 0 for a linear head
 * @param trainLimit     train on a seeded random subset of this many examples; 0 uses them all
 * @param reference      for causal-lm: the original pre-training corpus, whose validation loss before and
 *                       after measures forgetting; null to skip
 * @param labelNames     for classification data labelled 0..n-1: the name of each class id, so the model
 *                       answers {@code negative}/{@code positive} rather than {@code 0}/{@code 1}; empty keeps
 *                       the labels as the file has them
 */
public record AdaptOptions(String classWeights, int patience, int evalEvery, double warmupFraction, int headHidden,
        int trainLimit, java.nio.file.Path reference, java.util.List<String> labelNames) {
    public AdaptOptions {
        labelNames = labelNames == null ? java.util.List.of() : java.util.List.copyOf(labelNames);
        if (patience < 0 || evalEvery < 0 || headHidden < 0 || trainLimit < 0 || warmupFraction < 0 || warmupFraction >= 1) {
            throw new InvalidInputException("patience, eval interval, head width and train limit must be >= 0, "
                    + "warmup fraction in [0, 1)");
        }
        classWeights = classWeights == null ? "auto" : classWeights;
    }

    /** Options without label names (the labels stay as the training file has them). */
    public AdaptOptions(String classWeights, int patience, int evalEvery, double warmupFraction, int headHidden,
            int trainLimit, java.nio.file.Path reference) {
        this(classWeights, patience, evalEvery, warmupFraction, headHidden, trainLimit, reference, java.util.List.of());
    }

    public static AdaptOptions defaults() {
        return new AdaptOptions("auto", 3, 0, 0.1, 0, 0, null);
    }

    /** The same options with a name for each integer class id. */
    public AdaptOptions withLabelNames(java.util.List<String> names) {
        return new AdaptOptions(classWeights, patience, evalEvery, warmupFraction, headHidden, trainLimit, reference,
                names);
    }
}
