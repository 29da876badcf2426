package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * Stage three, watched: consumes inference events and feedback and keeps bounded-memory figures
 * (histograms, reservoirs, windows). Monitors run off the inference path; one that throws or is slow
 * never fails or stalls a call. Implementations are found with {@link java.util.ServiceLoader} like
 * backends, and must be thread-safe.
 */
@API(status = STABLE, since = "0.1")
public interface Monitor extends AutoCloseable {
    String name();

    void onInference(InferenceEvent event);

    default void onFeedback(Feedback feedback) { }

    MonitorSnapshot snapshot();

    @Override
    default void close() { }
}
