package dev.keel.api.monitor;

/**
 * Hears about every inference call. Called on the caller's thread right after the call, so it must only
 * hand the event off; Keel's monitor hub does that asynchronously and isolates failures.
 */
@FunctionalInterface
public interface InferenceListener {
    void onInference(InferenceEvent event);
}
