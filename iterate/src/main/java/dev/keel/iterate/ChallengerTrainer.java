package dev.keel.iterate;

import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;

/**
 * Trains a round's challenger. {@link AdapterTrainer} does it through the runtime's {@code Adapter}s on
 * whichever backend trains the method; hosts can put their own training in (a Spark job, say).
 */
@FunctionalInterface
public interface ChallengerTrainer {
    /** Writes the challenger folder at {@code plan.out()}. */
    TrainingResult train(TrainingPlan plan, TrainingListener listener);

    /**
     * Whether this trainer can start from the champion ({@link TrainingPlan#warmStart}); a round plans a fresh
     * start from the base otherwise, so its lineage never claims a warm start that did not happen.
     */
    default boolean supportsWarmStart() {
        return true;
    }
}
