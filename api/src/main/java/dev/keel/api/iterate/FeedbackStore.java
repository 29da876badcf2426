package dev.keel.api.iterate;

import dev.keel.api.monitor.Feedback;
import java.time.Instant;
import java.util.List;

/** Stage four: durable user feedback, read back to build the next training set. */
public interface FeedbackStore extends AutoCloseable {
    void record(Feedback feedback);

    List<Feedback> since(Instant from);

    @Override
    void close();
}
