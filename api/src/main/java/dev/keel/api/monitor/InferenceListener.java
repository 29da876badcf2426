package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * Hears about every inference call. Called on the caller's thread right after the call, so it must only
 * hand the event off; Keel's monitor hub does that asynchronously and isolates failures.
 */
@API(status = STABLE, since = "0.1")
@FunctionalInterface
public interface InferenceListener {
    void onInference(InferenceEvent event);
}
