package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.train.TrainingConfig;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link TrainingConfig} into the schedule of one run, the same way in every trainer: steps from
 * {@code maxSteps}, else from {@code epochs}; a warmup that does not fit the schedule shortened to a tenth of
 * it, with a warning (logger {@code dev.keel.spi.train.Schedules}) that names both values.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Schedules {
    private static final Logger LOG = LoggerFactory.getLogger(Schedules.class);

    private Schedules() { }

    /**
     * The run's settings with {@code maxSteps} set and the warmup fitted; see {@link TrainingConfig#resolve}.
     *
     * @param run           what is trained, for the warning ("pre-training", "gpt2 lora", ...)
     * @param stepsPerEpoch optimisation steps in one pass over the training data
     */
    public static TrainingConfig resolve(TrainingConfig config, int stepsPerEpoch, String run) {
        TrainingConfig resolved = config.resolve(stepsPerEpoch);
        if (resolved.warmupSteps() != config.warmupSteps()) {
            LOG.warn("{}: the warmup of {} steps is not shorter than the {}-step schedule, so the learning rate "
                    + "would never reach its peak {}; warming up over {} steps instead (set warmupSteps below {} to "
                    + "choose)", run, config.warmupSteps(), resolved.scheduleSteps(), config.learningRate(),
                    resolved.warmupSteps(), resolved.scheduleSteps());
        }
        return resolved;
    }

    /**
     * Warmup steps for a run of {@code totalSteps} that warms up over {@code warmupFraction} of its steps unless
     * {@code config.warmupSteps()} is positive (then that, fitted as {@link #resolve} fits it). The rule of
     * {@link dev.keel.api.adapt.AdaptationSpec#warmupFraction()}.
     */
    public static int warmup(TrainingConfig resolved, double warmupFraction, int totalSteps) {
        return resolved.warmupSteps() > 0 ? resolved.warmupSteps() : (int) Math.round(totalSteps * warmupFraction);
    }
}
