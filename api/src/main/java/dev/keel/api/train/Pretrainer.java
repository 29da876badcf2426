package dev.keel.api.train;

/**
 * Stage one: trains a model from scratch by next-token prediction and writes a portable model folder.
 * Runs are deterministic under {@link TrainingConfig#seed()} and resumable from their own checkpoints.
 */
public interface Pretrainer {
    /**
     * Trains as {@code spec} says, reporting to {@code listener}, and returns when the run ends.
     * The output folder holds the best (or last) checkpoint, the optimizer state and a JSONL log.
     */
    TrainingResult pretrain(PretrainSpec spec, TrainingListener listener);

    default TrainingResult pretrain(PretrainSpec spec) {
        return pretrain(spec, TrainingListener.NONE);
    }
}
