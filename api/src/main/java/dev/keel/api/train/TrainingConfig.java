package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import org.apiguardian.api.API;

/**
 * How to train: length, batch, learning-rate schedule (linear warmup then cosine decay), AdamW settings,
 * gradient clipping, seed and evaluation cadence. Defaults are nanoGPT's small CPU configuration. Immutable;
 * build with {@link #builder()}.
 *
 * <p><b>How long a run lasts</b> (the same rule for the Java API and the command line): a positive
 * {@code maxSteps} is the number of optimisation steps; {@code maxSteps} 0 means {@code epochs} passes over
 * the training data. The builder leaves {@code maxSteps} at 0 when {@code epochs} is set and
 * {@code maxSteps} is not, and at {@value #DEFAULT_MAX_STEPS} when neither is set. A trainer turns epochs into
 * steps with {@link #resolve(int)} once it knows the steps per epoch.
 *
 * <p><b>Warmup</b>: the schedule warms up over {@code warmupSteps} and decays over {@code decaySteps} (or the
 * whole run). A warmup that is not shorter than that schedule would never reach the configured peak rate,
 * so {@link #resolve(int)} shortens it to a tenth of the schedule, and Keel's trainers log a warning that
 * names both values. A clamp rather than an error, because the default warmup (100 steps) is meant for runs
 * of thousands of steps, and a short run (a smoke test, a demo, {@code --iters 50}) should train at the rate
 * it asks for, not fail on a default it never set.
 */
@API(status = STABLE, since = "0.1")
public record TrainingConfig(
        int maxSteps,
        int epochs,
        int batchSize,
        int blockSize,
        double learningRate,
        double minLearningRate,
        int warmupSteps,
        int decaySteps,
        double weightDecay,
        double beta1,
        double beta2,
        double gradClip,
        long seed,
        int evalInterval,
        int evalIters,
        int logInterval,
        boolean saveBestOnly) {

    /** Steps of a run that sets neither {@code maxSteps} nor {@code epochs}. */
    public static final int DEFAULT_MAX_STEPS = 2000;

    /**
     * @throws InvalidInputException when a setting is out of range; the message names the field and the value
     */
    public TrainingConfig {
        check(maxSteps >= 0, "TrainingConfig.maxSteps must be >= 0 (0: run by epochs), got " + maxSteps);
        check(epochs >= 0, "TrainingConfig.epochs must be >= 0, got " + epochs);
        check(maxSteps > 0 || epochs > 0, "TrainingConfig needs maxSteps or epochs > 0 to know how long to train; "
                + "got maxSteps 0 and epochs 0");
        check(batchSize > 0, "TrainingConfig.batchSize: batch size must be positive, got " + batchSize);
        check(blockSize > 0, "TrainingConfig.blockSize: block size must be positive, got " + blockSize);
        check(learningRate > 0 && Double.isFinite(learningRate),
                "TrainingConfig.learningRate: learning rate must be positive, got " + learningRate);
        check(minLearningRate >= 0 && minLearningRate <= learningRate,
                "TrainingConfig.minLearningRate must be in [0, learningRate " + learningRate + "], got "
                        + minLearningRate);
        check(warmupSteps >= 0, "TrainingConfig.warmupSteps must be >= 0, got " + warmupSteps);
        check(decaySteps >= 0, "TrainingConfig.decaySteps must be >= 0 (0: decay over the whole run), got "
                + decaySteps);
        check(weightDecay >= 0 && Double.isFinite(weightDecay),
                "TrainingConfig.weightDecay must be >= 0, got " + weightDecay);
        check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                "TrainingConfig Adam betas must be in [0, 1), got beta1 " + beta1 + " and beta2 " + beta2);
        check(gradClip >= 0, "TrainingConfig.gradClip must be >= 0 (0 disables it), got " + gradClip);
        check(evalInterval >= 0, "TrainingConfig.evalInterval must be >= 0 (0: never), got " + evalInterval);
        check(evalIters >= 0, "TrainingConfig.evalIters must be >= 0, got " + evalIters);
        check(logInterval > 0, "TrainingConfig.logInterval must be positive, got " + logInterval);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings; {@code maxSteps} counts as set. */
    public Builder toBuilder() {
        return new Builder().maxSteps(maxSteps).epochs(epochs).batchSize(batchSize).blockSize(blockSize)
                .learningRate(learningRate).minLearningRate(minLearningRate).warmupSteps(warmupSteps)
                .decaySteps(decaySteps).weightDecay(weightDecay).betas(beta1, beta2).gradClip(gradClip).seed(seed)
                .evalInterval(evalInterval).evalIters(evalIters).logInterval(logInterval).saveBestOnly(saveBestOnly);
    }

    /**
     * The run's optimisation steps: {@code maxSteps} when positive, else {@code epochs * stepsPerEpoch}.
     *
     * @throws InvalidInputException when the run is by epochs and {@code stepsPerEpoch} is not positive
     */
    public int totalSteps(int stepsPerEpoch) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        check(stepsPerEpoch > 0, "a run of " + epochs + " epochs needs at least one step per epoch, got "
                + stepsPerEpoch + "; give more training data or a smaller batch");
        return Math.toIntExact(Math.min(Integer.MAX_VALUE, (long) epochs * stepsPerEpoch));
    }

    /** The steps the learning-rate schedule spans: {@code decaySteps} when set, else {@code maxSteps}. */
    public int scheduleSteps() {
        return decaySteps > 0 ? decaySteps : maxSteps;
    }

    /**
     * These settings for a run with {@code stepsPerEpoch} steps per epoch: {@code maxSteps} set to
     * {@link #totalSteps}, and a warmup not shorter than the schedule shortened to a tenth of it (see the class
     * comment). Compare {@link #warmupSteps()} before and after to report the change.
     *
     * @throws InvalidInputException when the run is by epochs and {@code stepsPerEpoch} is not positive
     */
    public TrainingConfig resolve(int stepsPerEpoch) {
        int steps = totalSteps(stepsPerEpoch);
        int schedule = decaySteps > 0 ? decaySteps : steps;
        int warmup = warmupSteps >= schedule ? schedule / 10 : warmupSteps;
        return new TrainingConfig(steps, epochs, batchSize, blockSize, learningRate, minLearningRate, warmup,
                decaySteps, weightDecay, beta1, beta2, gradClip, seed, evalInterval, evalIters, logInterval,
                saveBestOnly);
    }

    /**
     * The learning rate at a step (0-based): linear warmup over {@code warmupSteps}, then cosine decay
     * to {@code minLearningRate} at {@code decaySteps} (or {@code maxSteps} when unset), then flat.
     *
     * @throws InvalidInputException when the run is by epochs and not yet {@link #resolve resolved}, so its
     *         length is unknown
     */
    public double learningRateAt(int step) {
        if (step < warmupSteps) {
            return learningRate * (step + 1) / (warmupSteps + 1);
        }
        check(scheduleSteps() > 0, "the schedule of a run by epochs is known only once its steps per epoch are; "
                + "call resolve(stepsPerEpoch) first");
        int decay = scheduleSteps();
        if (step > decay) {
            return minLearningRate;
        }
        double ratio = (double) (step - warmupSteps) / Math.max(1, decay - warmupSteps);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, Math.max(0.0, ratio))));
        return minLearningRate + coeff * (learningRate - minLearningRate);
    }

    /** Builder with nanoGPT's small CPU defaults; see the class comment for how the run's length is chosen. */
    public static final class Builder {
        private Integer maxSteps;
        private int epochs = 0;
        private int batchSize = 12;
        private int blockSize = 64;
        private double learningRate = 1e-3;
        private Double minLearningRate;
        private int warmupSteps = 100;
        private int decaySteps = 0;
        private double weightDecay = 0.1;
        private double beta1 = 0.9;
        private double beta2 = 0.99;
        private double gradClip = 1.0;
        private long seed = 1337;
        private int evalInterval = 250;
        private int evalIters = 20;
        private int logInterval = 10;
        private boolean saveBestOnly = true;

        /** Optimisation steps; 0 runs {@link #epochs} passes instead. */
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        /** Passes over the training data, used when {@code maxSteps} is 0 or left unset. */
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        /** The floor of the cosine decay; when left unset it is 1e-4, or the learning rate if that is lower. */
        public Builder minLearningRate(double v) { minLearningRate = v; return this; }
        public Builder warmupSteps(int v) { warmupSteps = v; return this; }
        public Builder decaySteps(int v) { decaySteps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder gradClip(double v) { gradClip = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder evalInterval(int v) { evalInterval = v; return this; }
        public Builder evalIters(int v) { evalIters = v; return this; }
        public Builder logInterval(int v) { logInterval = v; return this; }
        public Builder saveBestOnly(boolean v) { saveBestOnly = v; return this; }

        /**
         * @throws InvalidInputException when a setting is out of range (see {@link TrainingConfig})
         */
        public TrainingConfig build() {
            int steps = maxSteps != null ? maxSteps : epochs > 0 ? 0 : DEFAULT_MAX_STEPS;
            double floor = minLearningRate != null ? minLearningRate : Math.min(1e-4, learningRate);
            return new TrainingConfig(steps, epochs, batchSize, blockSize, learningRate, floor, warmupSteps,
                    decaySteps, weightDecay, beta1, beta2, gradClip, seed, evalInterval, evalIters, logInterval,
                    saveBestOnly);
        }
    }
}
