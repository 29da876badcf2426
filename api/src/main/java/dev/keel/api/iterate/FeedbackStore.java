package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.monitor.Feedback;
import java.time.Instant;
import java.util.List;
import org.apiguardian.api.API;

/** Stage four: durable user feedback, read back to build the next training set. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface FeedbackStore extends AutoCloseable {
    void record(Feedback feedback);

    List<Feedback> since(Instant from);

    @Override
    void close();
}
