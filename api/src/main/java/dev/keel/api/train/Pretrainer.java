package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * Stage one: trains a model from scratch by next-token prediction and writes a portable model folder.
 * Runs are deterministic under {@link TrainingConfig#seed()} and resumable from their own checkpoints.
 */
@API(status = STABLE, since = "0.1")
public interface Pretrainer {
    /**
     * Trains as {@code spec} says, reporting to {@code listener}, and returns when the run ends.
     * The output folder holds the best (or last) checkpoint, the optimizer state and a JSONL log.
     *
     * @throws dev.keel.api.InvalidInputException when the corpus, the tokenizer or a setting is unusable (before
     *         anything is written)
     * @throws dev.keel.api.UnsupportedCapabilityException when the architecture's family is not one this
     *         pre-trainer trains
     * @throws dev.keel.api.CheckpointException when a checkpoint to resume from is missing or corrupt
     */
    TrainingResult pretrain(PretrainSpec spec, TrainingListener listener);

    /**
     * {@link #pretrain(PretrainSpec, TrainingListener)} without progress events.
     *
     * @throws dev.keel.api.InvalidInputException when the corpus, the tokenizer or a setting is unusable
     * @throws dev.keel.api.UnsupportedCapabilityException when the architecture's family is not trained here
     * @throws dev.keel.api.CheckpointException when a checkpoint to resume from is missing or corrupt
     */
    default TrainingResult pretrain(PretrainSpec spec) {
        return pretrain(spec, TrainingListener.NONE);
    }
}
