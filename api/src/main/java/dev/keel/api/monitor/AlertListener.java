package dev.keel.api.monitor;

/** Receives alerts; the iteration loop subscribes to retrain or roll back. */
@FunctionalInterface
public interface AlertListener {
    void onAlert(Alert alert);
}
