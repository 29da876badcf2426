package dev.keel.api.monitor;

import java.time.Instant;
import java.util.List;

/**
 * What one inference call did, as every backend reports it.
 *
 * @param id            the inference id (feedback refers to it)
 * @param timestamp     when the call started
 * @param operation     generate, embed, classify, evaluate or logits
 * @param modelVersion  the served model's version
 * @param backend       the backend's name
 * @param device        the device, as {@code cpu} or {@code gpu:N}
 * @param tokenizeNanos time spent tokenizing
 * @param queueNanos    time spent waiting for a batch or a worker
 * @param computeNanos  time spent in the engine
 * @param inputs        the input texts (monitors derive descriptors from them; may be empty)
 * @param inputTokens   tokens in, over all inputs
 * @param outputTokens  tokens out (generation), else 0
 * @param timeToFirstTokenNanos generation only, else 0
 * @param outputs       output texts (generation) or predicted labels (classification); may be empty
 * @param confidences   one confidence per output where there is one (classification); may be empty
 * @param error         the failure message, or null on success
 */
public record InferenceEvent(String id, Instant timestamp, String operation, String modelVersion, String backend,
        String device, long tokenizeNanos, long queueNanos, long computeNanos, List<String> inputs,
        long inputTokens, long outputTokens, long timeToFirstTokenNanos, List<String> outputs,
        List<Double> confidences, String error) {

    public InferenceEvent {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        confidences = confidences == null ? List.of() : List.copyOf(confidences);
    }

    public long totalNanos() {
        return tokenizeNanos + queueNanos + computeNanos;
    }

    public boolean failed() {
        return error != null;
    }
}
