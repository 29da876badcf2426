package dev.keel.api.train;

import dev.keel.api.InvalidInputException;

/**
 * How to train: steps, batch, learning-rate schedule (linear warmup then cosine decay), AdamW settings,
 * gradient clipping, seed and evaluation cadence. Defaults are nanoGPT's small CPU configuration.
 * Immutable; build with {@link #builder()}.
 */
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

    public TrainingConfig {
        check(maxSteps >= 0, "steps must be >= 0, got " + maxSteps);
        check(epochs >= 0, "epochs must be >= 0, got " + epochs);
        check(batchSize > 0, "batch size must be positive, got " + batchSize);
        check(blockSize > 0, "block size must be positive, got " + blockSize);
        check(learningRate > 0 && Double.isFinite(learningRate), "learning rate must be positive, got " + learningRate);
        check(minLearningRate >= 0 && minLearningRate <= learningRate,
                "min learning rate must be in [0, lr], got " + minLearningRate);
        check(warmupSteps >= 0, "warmup must be >= 0, got " + warmupSteps);
        check(weightDecay >= 0, "weight decay must be >= 0, got " + weightDecay);
        check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1)");
        check(gradClip >= 0, "gradient clip must be >= 0 (0 disables it), got " + gradClip);
        check(evalInterval >= 0 && evalIters >= 0, "eval interval and eval iters must be >= 0");
        check(logInterval > 0, "log interval must be positive, got " + logInterval);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().maxSteps(maxSteps).epochs(epochs).batchSize(batchSize).blockSize(blockSize)
                .learningRate(learningRate).minLearningRate(minLearningRate).warmupSteps(warmupSteps)
                .decaySteps(decaySteps).weightDecay(weightDecay).betas(beta1, beta2).gradClip(gradClip).seed(seed)
                .evalInterval(evalInterval).evalIters(evalIters).logInterval(logInterval).saveBestOnly(saveBestOnly);
    }

    /**
     * The learning rate at a step (0-based): linear warmup over {@code warmupSteps}, then cosine decay
     * to {@code minLearningRate} at {@code decaySteps} (or {@code maxSteps} when unset), then flat.
     */
    public double learningRateAt(int step) {
        if (step < warmupSteps) {
            return learningRate * (step + 1) / (warmupSteps + 1);
        }
        int decay = decaySteps > 0 ? decaySteps : Math.max(maxSteps, 1);
        if (step > decay) {
            return minLearningRate;
        }
        double ratio = (double) (step - warmupSteps) / Math.max(1, decay - warmupSteps);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, Math.max(0.0, ratio))));
        return minLearningRate + coeff * (learningRate - minLearningRate);
    }

    public static final class Builder {
        private int maxSteps = 2000;
        private int epochs = 0;
        private int batchSize = 12;
        private int blockSize = 64;
        private double learningRate = 1e-3;
        private double minLearningRate = 1e-4;
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

        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
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

        public TrainingConfig build() {
            return new TrainingConfig(maxSteps, epochs, batchSize, blockSize, learningRate,
                    Math.min(minLearningRate, learningRate), warmupSteps, decaySteps, weightDecay, beta1, beta2,
                    gradClip, seed, evalInterval, evalIters, logInterval, saveBestOnly);
        }
    }
}
