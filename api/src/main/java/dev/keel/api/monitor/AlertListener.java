package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** Receives alerts; the iteration loop subscribes to retrain or roll back. */
@API(status = STABLE, since = "0.1")
@FunctionalInterface
public interface AlertListener {
    void onAlert(Alert alert);
}
