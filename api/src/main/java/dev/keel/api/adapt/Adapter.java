package dev.keel.api.adapt;

import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;

/**
 * Stage two: fine-tunes a pretrained model for a task and writes an adapted model folder whose
 * {@code keel.json} records the base and the method. The result's metrics carry the task's figures
 * ({@code dev_accuracy}, {@code macro_f1}, {@code dev_loss}, ...).
 */
public interface Adapter {
    TrainingResult adapt(AdaptationSpec spec, TrainingListener listener);

    default TrainingResult adapt(AdaptationSpec spec) {
        return adapt(spec, TrainingListener.NONE);
    }
}
