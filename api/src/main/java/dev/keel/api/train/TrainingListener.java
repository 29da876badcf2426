package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * Receives {@link TrainingEvent}s on the training thread; keep it quick.
 *
 * <p>A listener may also ask the run to stop: the run polls {@link #stopRequested()} at every step boundary
 * (as it polls {@link Thread#isInterrupted()}), and when asked it writes a resumable checkpoint and throws
 * {@link TrainingStoppedException}. That is how a host cancels a run without losing it, and how the command
 * line turns Ctrl-C and SIGTERM into a clean stop.
 */
@API(status = STABLE, since = "0.1")
@FunctionalInterface
public interface TrainingListener {
    TrainingListener NONE = event -> { };

    void onEvent(TrainingEvent event);

    /** Whether the run should stop at the next step boundary; polled from the training thread. */
    default boolean stopRequested() {
        return false;
    }

    /** This listener, asking to stop whenever {@code stop} says so. */
    default TrainingListener stoppingWhen(java.util.function.BooleanSupplier stop) {
        TrainingListener self = this;
        return new TrainingListener() {
            @Override
            public void onEvent(TrainingEvent event) {
                self.onEvent(event);
            }

            @Override
            public boolean stopRequested() {
                return stop.getAsBoolean() || self.stopRequested();
            }
        };
    }
}
