package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.apiguardian.api.API;

/**
 * Builds and delivers the one {@link InferenceEvent} per call that every session emits ({@link SessionBase}
 * does it for sessions built on it). Delivery never throws into the caller: a listener that fails is skipped
 * (the monitor hub isolates slow ones too).
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class InferenceEvents {
    private InferenceEvents() { }

    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /** A builder pre-filled with the session's identity. */
    public static Builder start(String id, Operation operation, ModelInfo info) {
        return new Builder(id, operation, info);
    }

    /** Hands {@code event} to every listener in order, swallowing listener failures. */
    public static void deliver(InferenceEvent event, List<InferenceListener> listeners) {
        for (InferenceListener l : listeners) {
            try {
                l.onInference(event);
            } catch (RuntimeException ignored) {
                // a listener must never fail an inference call; the monitor hub reports its own failures
            }
        }
    }

    public static final class Builder {
        private final String id;
        private final Operation operation;
        private final ModelInfo info;
        private final Instant started = Instant.now();
        private long tokenizeNanos;
        private long queueNanos;
        private long computeNanos;
        private List<String> inputs = List.of();
        private long inputTokens;
        private long outputTokens;
        private long firstTokenNanos;
        private List<String> outputs = List.of();
        private List<Double> confidences = List.of();
        private String error;

        private Builder(String id, Operation operation, ModelInfo info) {
            this.id = id;
            this.operation = operation;
            this.info = info;
        }

        public String id() { return id; }
        public Builder tokenize(long nanos) { tokenizeNanos = nanos; return this; }
        public Builder queue(long nanos) { queueNanos = nanos; return this; }
        public Builder compute(long nanos) { computeNanos = nanos; return this; }
        public Builder inputs(List<String> v) { inputs = v; return this; }
        public Builder inputTokens(long v) { inputTokens = v; return this; }
        public Builder outputTokens(long v) { outputTokens = v; return this; }
        public Builder firstToken(long nanos) { firstTokenNanos = nanos; return this; }
        public Builder outputs(List<String> v) { outputs = v; return this; }
        public Builder confidences(List<Double> v) { confidences = v; return this; }
        public Builder error(Throwable t) { error = t.getClass().getSimpleName() + ": " + t.getMessage(); return this; }

        public InferenceEvent build() {
            return new InferenceEvent(id, started, operation, info.version(), info.backend(), info.device().toString(),
                    tokenizeNanos, queueNanos, computeNanos, inputs, inputTokens, outputTokens, firstTokenNanos,
                    outputs, confidences, error);
        }

        /** Builds the event and hands it to every listener, swallowing listener failures. */
        public void emit(List<InferenceListener> listeners) {
            if (!listeners.isEmpty()) {
                deliver(build(), listeners);
            }
        }
    }
}
