package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.InferenceListener;
import java.util.ArrayList;
import java.util.List;
import org.apiguardian.api.API;

/**
 * How to open a session: device, threads, batching and who hears about each call. Immutable; the listener
 * list is copied.
 *
 * @param device        where to run
 * @param threads       intra-op threads (0 lets the engine decide)
 * @param maxBatchSize  the largest batch one engine call takes
 * @param maxQueue      calls a session accepts in flight at once; one more is refused with
 *                      {@link dev.keel.api.SessionBusyException}
 * @param listeners     receivers of one {@link dev.keel.api.monitor.InferenceEvent} per call
 */
@API(status = STABLE, since = "0.1")
public record SessionOptions(Device device, int threads, int maxBatchSize, int maxQueue,
        List<InferenceListener> listeners) {

    /**
     * @throws InvalidInputException when the device is null, threads is negative, maxBatchSize or maxQueue is
     *         not positive, or a listener is null
     */
    public SessionOptions {
        if (device == null) {
            throw new InvalidInputException("SessionOptions.device is null; use Device.cpu() or Device.gpu(n)");
        }
        if (threads < 0) {
            throw new InvalidInputException("SessionOptions.threads must be >= 0 (0 lets the engine decide), got "
                    + threads);
        }
        if (maxBatchSize <= 0) {
            throw new InvalidInputException("SessionOptions.maxBatchSize must be positive, got " + maxBatchSize);
        }
        if (maxQueue <= 0) {
            throw new InvalidInputException("SessionOptions.maxQueue must be positive, got " + maxQueue);
        }
        if (listeners != null && listeners.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidInputException("SessionOptions.listeners holds a null listener; pass listeners, not nulls");
        }
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
    }

    public static SessionOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, listeners included. */
    public Builder toBuilder() {
        Builder b = new Builder().device(device).threads(threads).maxBatchSize(maxBatchSize).maxQueue(maxQueue);
        listeners.forEach(b::listener);
        return b;
    }

    /** These options with other listeners (none for an empty list). */
    public SessionOptions withListeners(List<InferenceListener> newListeners) {
        return new SessionOptions(device, threads, maxBatchSize, maxQueue, newListeners);
    }

    public static final class Builder {
        private Device device = Device.cpu();
        private int threads = 0;
        private int maxBatchSize = 32;
        private int maxQueue = 1024;
        private final List<InferenceListener> listeners = new ArrayList<>();

        public Builder device(Device v) { device = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder maxBatchSize(int v) { maxBatchSize = v; return this; }
        public Builder maxQueue(int v) { maxQueue = v; return this; }
        public Builder listener(InferenceListener v) { listeners.add(v); return this; }

        /**
         * @throws InvalidInputException when a setting is out of range (see {@link SessionOptions})
         */
        public SessionOptions build() {
            return new SessionOptions(device, threads, maxBatchSize, maxQueue, listeners);
        }
    }
}
