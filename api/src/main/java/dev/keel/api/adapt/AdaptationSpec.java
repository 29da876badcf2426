package dev.keel.api.adapt;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.train.TrainingConfig;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * One fine-tuning run: a base model, a method, a task, data, where to write the adapted model, and every
 * setting an adapter reads. One spec serves every engine's adapter; a setting a method does not use is named
 * as such below. The builder and the canonical constructor give the same defaults (a null
 * {@code training}, {@code lora} or {@code classWeights} takes the builder's default).
 *
 * <p>How long a run lasts follows {@link TrainingConfig}: a positive {@code training.maxSteps()} counts
 * steps, else {@code training.epochs()} counts passes (the default: 3 epochs). A {@code head} trains in whole
 * epochs; a step count is rounded up to whole epochs for it.
 *
 * @param base           the pretrained model
 * @param method         full, lora or head
 * @param task           classify, causal-lm or prompt-response
 * @param train          training data: a labelled file for classify/prompt-response, text for causal-lm
 * @param dev            optional development data for early stopping and metrics (null when absent)
 * @param training       length, batch, learning rate and optimizer settings
 * @param lora           LoRA settings (read when method is LORA)
 * @param maxLength      longest input in tokens
 * @param outputDir      the adapted model folder (new or empty)
 * @param classWeights   classification loss weights against class imbalance
 * @param patience       dev evaluations without a better accuracy before stopping; 0 never stops early
 * @param evalEvery      steps between dev evaluations; 0 evaluates once per epoch
 * @param warmupFraction share of the run's steps with linear learning-rate warmup, in [0, 1); used when
 *                       {@code training.warmupSteps()} is 0 (a positive warmupSteps is taken as it is); a
 *                       {@code head} trains at a constant rate and has no warmup
 * @param headHidden     width of a tanh hidden layer in a {@code head}; 0 for a linear head
 * @param trainLimit     train on a seeded random subset of this many examples; 0 uses them all
 * @param reference      for causal-lm: the original pre-training corpus, whose validation loss before and after
 *                       measures forgetting; null to skip
 */
@API(status = STABLE, since = "0.1")
public record AdaptationSpec(ModelRef base, AdaptationMethod method, AdaptationTask task, Path train, Path dev,
        TrainingConfig training, LoraConfig lora, int maxLength, Path outputDir, ClassWeighting classWeights,
        int patience, int evalEvery, double warmupFraction, int headHidden, int trainLimit, Path reference) {

    /** Early-stopping patience of the builder. */
    public static final int DEFAULT_PATIENCE = 3;
    /** Warmup share of the builder. */
    public static final double DEFAULT_WARMUP_FRACTION = 0.1;
    /** Longest input of the builder, in tokens. */
    public static final int DEFAULT_MAX_LENGTH = 128;

    /**
     * @throws InvalidInputException when a required component (base, method, task, train, outputDir) is null or
     *         a setting is out of range; the message names the field and the value
     */
    public AdaptationSpec {
        if (base == null || method == null || task == null || train == null || outputDir == null) {
            throw new InvalidInputException("an adaptation run needs base, method, task, train data and outputDir; "
                    + "got " + (base == null ? "base " : "") + (method == null ? "method " : "")
                    + (task == null ? "task " : "") + (train == null ? "train " : "")
                    + (outputDir == null ? "outputDir " : "") + "null");
        }
        check(maxLength > 0, "AdaptationSpec.maxLength must be positive, got " + maxLength);
        check(patience >= 0, "AdaptationSpec.patience must be >= 0 (0 never stops early), got " + patience);
        check(evalEvery >= 0, "AdaptationSpec.evalEvery must be >= 0 (0: once per epoch), got " + evalEvery);
        check(warmupFraction >= 0 && warmupFraction < 1,
                "AdaptationSpec.warmupFraction must be in [0, 1), got " + warmupFraction);
        check(headHidden >= 0, "AdaptationSpec.headHidden must be >= 0 (0: a linear head), got " + headHidden);
        check(trainLimit >= 0, "AdaptationSpec.trainLimit must be >= 0 (0: every example), got " + trainLimit);
        training = training == null ? defaultTraining() : training;
        lora = lora == null ? LoraConfig.defaults() : lora;
        classWeights = classWeights == null ? ClassWeighting.AUTO : classWeights;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    /**
     * The fine-tuning schedule both the builder and a null {@code training} give: 3 epochs, batch 32, peak
     * learning rate 5e-5 decaying to 0, no fixed warmup (see {@code warmupFraction}), weight decay 0.01.
     */
    public static TrainingConfig defaultTraining() {
        return TrainingConfig.builder().maxSteps(0).epochs(3).batchSize(32).learningRate(5e-5).minLearningRate(0)
                .warmupSteps(0).weightDecay(0.01).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this spec. */
    public Builder toBuilder() {
        return new Builder().base(base).method(method).task(task).train(train).dev(dev).training(training).lora(lora)
                .maxLength(maxLength).outputDir(outputDir).classWeights(classWeights).patience(patience)
                .evalEvery(evalEvery).warmupFraction(warmupFraction).headHidden(headHidden).trainLimit(trainLimit)
                .reference(reference);
    }

    /** This spec over another base (a builtin made portable, say). */
    public AdaptationSpec withBase(ModelRef newBase) {
        return toBuilder().base(newBase).build();
    }

    /** Builder with the defaults listed on each setter; method head, task classify. */
    public static final class Builder {
        private ModelRef base;
        private AdaptationMethod method = AdaptationMethod.HEAD;
        private AdaptationTask task = AdaptationTask.CLASSIFY;
        private Path train;
        private Path dev;
        private TrainingConfig training = defaultTraining();
        private LoraConfig lora = LoraConfig.defaults();
        private int maxLength = DEFAULT_MAX_LENGTH;
        private Path outputDir;
        private ClassWeighting classWeights = ClassWeighting.AUTO;
        private int patience = DEFAULT_PATIENCE;
        private int evalEvery = 0;
        private double warmupFraction = DEFAULT_WARMUP_FRACTION;
        private int headHidden = 0;
        private int trainLimit = 0;
        private Path reference;

        public Builder base(ModelRef v) { base = v; return this; }
        /** Default head. */
        public Builder method(AdaptationMethod v) { method = v; return this; }
        /** Default classify. */
        public Builder task(AdaptationTask v) { task = v; return this; }
        public Builder train(Path v) { train = v; return this; }
        public Builder dev(Path v) { dev = v; return this; }
        /** Default {@link AdaptationSpec#defaultTraining()}. */
        public Builder training(TrainingConfig v) { training = v; return this; }
        /** Default {@link LoraConfig#defaults()}. */
        public Builder lora(LoraConfig v) { lora = v; return this; }
        /** Default {@value AdaptationSpec#DEFAULT_MAX_LENGTH}. */
        public Builder maxLength(int v) { maxLength = v; return this; }
        public Builder outputDir(Path v) { outputDir = v; return this; }
        /** Default auto. */
        public Builder classWeights(ClassWeighting v) { classWeights = v; return this; }
        /** Default {@value AdaptationSpec#DEFAULT_PATIENCE}. */
        public Builder patience(int v) { patience = v; return this; }
        /** Default 0: once per epoch. */
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        /** Default {@value AdaptationSpec#DEFAULT_WARMUP_FRACTION}. */
        public Builder warmupFraction(double v) { warmupFraction = v; return this; }
        /** Default 0: a linear head. */
        public Builder headHidden(int v) { headHidden = v; return this; }
        /** Default 0: every example. */
        public Builder trainLimit(int v) { trainLimit = v; return this; }
        /** Default none. */
        public Builder reference(Path v) { reference = v; return this; }

        /**
         * @throws InvalidInputException when a required value is missing or a setting is out of range
         */
        public AdaptationSpec build() {
            return new AdaptationSpec(base, method, task, train, dev, training, lora, maxLength, outputDir,
                    classWeights, patience, evalEvery, warmupFraction, headHidden, trainLimit, reference);
        }
    }
}
