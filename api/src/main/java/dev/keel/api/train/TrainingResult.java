package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import java.nio.file.Path;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The outcome of a training or adaptation run.
 *
 * @param steps        optimisation steps taken in total (including steps before a resume)
 * @param trainLoss    last estimated training loss
 * @param valLoss      last estimated validation loss (NaN when there was none)
 * @param bestValLoss  best validation loss seen (the saved checkpoint when saving the best only)
 * @param parameters   total parameters
 * @param trainableParameters parameters that were updated
 * @param tokensPerSecond training throughput
 * @param msPerStep    mean milliseconds per step, evaluation excluded
 * @param wallSeconds  wall time of the run
 * @param output       the model folder written
 * @param metrics      task metrics (accuracy, macro-F1, dev loss, ...)
 */
@API(status = STABLE, since = "0.1")
public record TrainingResult(int steps, double trainLoss, double valLoss, double bestValLoss, long parameters,
        long trainableParameters, double tokensPerSecond, double msPerStep, double wallSeconds, Path output,
        Map<String, Double> metrics) {
    public TrainingResult {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}
