package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/**
 * The inference log and the feedback store in one database, so feedback joins the call it is about. Hosts
 * turn it on with {@code KeelRuntime.builder().capture(...)}; {@code KeelRuntime.feedback} then records what
 * users say durably before the monitors see it. The implementation is {@code keel-registry}'s
 * {@code JdbcCaptureStore} (SQLite or PostgreSQL).
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface CaptureStore extends InferenceLog, FeedbackStore {
    @Override
    void close();
}
