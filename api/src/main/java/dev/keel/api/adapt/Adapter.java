package dev.keel.api.adapt;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import org.apiguardian.api.API;

/**
 * Stage two: fine-tunes a pretrained model for a task and writes an adapted model folder whose
 * {@code keel.json} records the base and the method. The result's metrics carry the task's figures
 * ({@code dev_accuracy}, {@code macro_f1}, {@code dev_loss}, ...).
 */
@API(status = STABLE, since = "0.1")
public interface Adapter {
    /**
     * Runs {@code spec}, reporting to {@code listener}, and returns when the adapted folder is written.
     *
     * @throws dev.keel.api.InvalidInputException when the data or a setting is unusable, or the output folder is
     *         not new or empty (before anything is written)
     * @throws dev.keel.api.UnsupportedCapabilityException when the method, task or base family is not one this
     *         adapter trains
     * @throws dev.keel.api.CheckpointException when the base model cannot be read
     */
    TrainingResult adapt(AdaptationSpec spec, TrainingListener listener);

    /**
     * {@link #adapt(AdaptationSpec, TrainingListener)} without progress events.
     *
     * @throws dev.keel.api.InvalidInputException when the data or a setting is unusable
     * @throws dev.keel.api.UnsupportedCapabilityException when the method, task or family is not trained here
     * @throws dev.keel.api.CheckpointException when the base model cannot be read
     */
    default TrainingResult adapt(AdaptationSpec spec) {
        return adapt(spec, TrainingListener.NONE);
    }
}
