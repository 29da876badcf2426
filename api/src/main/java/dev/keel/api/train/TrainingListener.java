package dev.keel.api.train;

/** Receives {@link TrainingEvent}s on the training thread; keep it quick. */
@FunctionalInterface
public interface TrainingListener {
    TrainingListener NONE = event -> { };

    void onEvent(TrainingEvent event);
}
