package dev.keel.api.infer;

import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.InferenceListener;
import java.util.ArrayList;
import java.util.List;

/**
 * How to open a session: device, threads, batching and who hears about each call.
 *
 * @param device        where to run
 * @param threads       intra-op threads (0 lets the engine decide)
 * @param maxBatchSize  the largest batch one engine call takes
 * @param maxQueue      pending requests accepted before callers are told to back off
 * @param listeners     receivers of one {@link dev.keel.api.monitor.InferenceEvent} per call
 */
public record SessionOptions(Device device, int threads, int maxBatchSize, int maxQueue,
        List<InferenceListener> listeners) {

    public SessionOptions {
        if (device == null) {
            throw new InvalidInputException("device is null; use Device.cpu() or Device.gpu(n)");
        }
        if (threads < 0 || maxBatchSize <= 0 || maxQueue <= 0) {
            throw new InvalidInputException("threads must be >= 0, batch and queue sizes positive");
        }
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
    }

    public static SessionOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().device(device).threads(threads).maxBatchSize(maxBatchSize).maxQueue(maxQueue);
        listeners.forEach(b::listener);
        return b;
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

        public SessionOptions build() {
            return new SessionOptions(device, threads, maxBatchSize, maxQueue, listeners);
        }
    }
}
