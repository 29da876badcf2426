package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** Receives {@link TrainingEvent}s on the training thread; keep it quick. */
@API(status = STABLE, since = "0.1")
@FunctionalInterface
public interface TrainingListener {
    TrainingListener NONE = event -> { };

    void onEvent(TrainingEvent event);
}
