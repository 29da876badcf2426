package dev.keel.api.adapt;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.train.TrainingConfig;
import java.nio.file.Path;

/**
 * One fine-tuning run: a base model, a method, a task, data and where to write the adapted model.
 *
 * @param base      the pretrained model
 * @param method    full, lora or head
 * @param task      classify, causal-lm or prompt-response
 * @param train     training data: labelled file for classify/prompt-response, text for causal-lm
 * @param dev       optional development data for early stopping and metrics (null when absent)
 * @param training  schedule; {@code epochs} or {@code maxSteps} bound the run
 * @param lora      LoRA settings (used when method is LORA)
 * @param maxLength longest input in tokens
 * @param outputDir the adapted model folder
 */
public record AdaptationSpec(ModelRef base, AdaptationMethod method, AdaptationTask task, Path train, Path dev,
        TrainingConfig training, LoraConfig lora, int maxLength, Path outputDir) {

    public AdaptationSpec {
        if (base == null || method == null || task == null || train == null || outputDir == null) {
            throw new InvalidInputException("an adaptation run needs base, method, task, train data and output");
        }
        if (maxLength <= 0) {
            throw new InvalidInputException("max length must be positive, got " + maxLength);
        }
        training = training == null ? TrainingConfig.builder().build() : training;
        lora = lora == null ? LoraConfig.defaults() : lora;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private ModelRef base;
        private AdaptationMethod method = AdaptationMethod.HEAD;
        private AdaptationTask task = AdaptationTask.CLASSIFY;
        private Path train;
        private Path dev;
        private TrainingConfig training = TrainingConfig.builder().maxSteps(0).epochs(3).batchSize(32)
                .learningRate(5e-5).minLearningRate(0).warmupSteps(0).weightDecay(0.01).build();
        private LoraConfig lora = LoraConfig.defaults();
        private int maxLength = 128;
        private Path outputDir;

        public Builder base(ModelRef v) { base = v; return this; }
        public Builder method(AdaptationMethod v) { method = v; return this; }
        public Builder task(AdaptationTask v) { task = v; return this; }
        public Builder train(Path v) { train = v; return this; }
        public Builder dev(Path v) { dev = v; return this; }
        public Builder training(TrainingConfig v) { training = v; return this; }
        public Builder lora(LoraConfig v) { lora = v; return this; }
        public Builder maxLength(int v) { maxLength = v; return this; }
        public Builder outputDir(Path v) { outputDir = v; return this; }

        public AdaptationSpec build() {
            return new AdaptationSpec(base, method, task, train, dev, training, lora, maxLength, outputDir);
        }
    }
}
