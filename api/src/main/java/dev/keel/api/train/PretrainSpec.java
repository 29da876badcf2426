package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.model.ModelConfig;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * One pre-training run: the architecture, the tokenizer, the corpus, the schedule and where to write.
 * The model's vocabulary size is taken from the tokenizer, so {@code model} may leave it out (a
 * {@link dev.keel.api.model.Gpt2Config} built without {@code vocabSize}), whatever the tokenizer.
 */
@API(status = STABLE, since = "0.1")
public record PretrainSpec(ModelConfig model, TokenizerSpec tokenizer, TextCorpus corpus, TrainingConfig training,
        Path outputDir, boolean resume) {

    /**
     * @throws InvalidInputException when a component is null; the message names it
     */
    public PretrainSpec {
        if (model == null || tokenizer == null || corpus == null || training == null || outputDir == null) {
            throw new InvalidInputException("a pre-training run needs model, tokenizer, corpus, training and outputDir; "
                    + "got " + (model == null ? "model " : "") + (tokenizer == null ? "tokenizer " : "")
                    + (corpus == null ? "corpus " : "") + (training == null ? "training " : "")
                    + (outputDir == null ? "outputDir " : "") + "null");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private ModelConfig model;
        private TokenizerSpec tokenizer = TokenizerSpec.chars();
        private TextCorpus corpus;
        private TrainingConfig training = TrainingConfig.builder().build();
        private Path outputDir;
        private boolean resume;

        /** The architecture; its vocabulary size is replaced by the tokenizer's. */
        public Builder architecture(ModelConfig v) { model = v; return this; }
        public Builder tokenizer(TokenizerSpec v) { tokenizer = v; return this; }
        public Builder corpus(TextCorpus v) { corpus = v; return this; }
        public Builder corpus(Path v) { corpus = TextCorpus.of(v); return this; }
        public Builder training(TrainingConfig v) { training = v; return this; }
        public Builder outputDir(Path v) { outputDir = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }

        /**
         * @throws InvalidInputException when the corpus, the output folder or the architecture is missing
         */
        public PretrainSpec build() {
            if (corpus == null) {
                throw new InvalidInputException("PretrainSpec needs a corpus; call corpus(path)");
            }
            if (outputDir == null) {
                throw new InvalidInputException("PretrainSpec needs an output folder; call outputDir(path)");
            }
            if (model == null) {
                throw new InvalidInputException("PretrainSpec needs an architecture; call architecture(config)");
            }
            return new PretrainSpec(model, tokenizer, corpus, training, outputDir, resume);
        }
    }
}
