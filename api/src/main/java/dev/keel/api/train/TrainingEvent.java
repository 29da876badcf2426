package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import java.nio.file.Path;
import org.apiguardian.api.API;

/** What a training run reports while it runs. Listeners switch on the record type. */
@API(status = STABLE, since = "0.1")
public sealed interface TrainingEvent {
    /** The run began (or resumed at {@code startStep}). */
    record Started(String runId, int startStep, int maxSteps, long parameters, long trainableParameters)
            implements TrainingEvent { }

    /** One optimisation step finished. */
    record Step(int step, int maxSteps, double loss, double learningRate, double tokensPerSecond,
            double msPerStep) implements TrainingEvent { }

    /** A periodic evaluation on a fixed number of batches (or a full dev set). */
    record Evaluation(int step, double trainLoss, double valLoss, java.util.Map<String, Double> metrics)
            implements TrainingEvent { }

    /** A checkpoint was written atomically. */
    record CheckpointSaved(int step, Path folder, boolean best) implements TrainingEvent { }

    /** The run ended. */
    record Finished(TrainingResult result) implements TrainingEvent { }
}
