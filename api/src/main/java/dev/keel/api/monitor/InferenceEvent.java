package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Operation;
import java.time.Instant;
import java.util.List;
import org.apiguardian.api.API;

/**
 * What one inference call did, as every backend reports it: exactly one event per call, failed or not.
 *
 * @param id            the inference id (feedback refers to it)
 * @param timestamp     when the call started
 * @param operation     the operation the caller invoked
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
@API(status = STABLE, since = "0.1")
public record InferenceEvent(String id, Instant timestamp, Operation operation, String modelVersion, String backend,
        String device, long tokenizeNanos, long queueNanos, long computeNanos, List<String> inputs,
        long inputTokens, long outputTokens, long timeToFirstTokenNanos, List<String> outputs,
        List<Double> confidences, String error) {

    /**
     * @throws InvalidInputException when the id, the timestamp or the operation is null, or a list holds a null
     */
    public InferenceEvent {
        if (id == null || timestamp == null || operation == null) {
            throw new InvalidInputException("an inference event needs id, timestamp and operation; got "
                    + (id == null ? "id " : "") + (timestamp == null ? "timestamp " : "")
                    + (operation == null ? "operation " : "") + "null");
        }
        if (hasNull(inputs) || hasNull(outputs) || hasNull(confidences)) {
            throw new InvalidInputException("inference event " + id + " lists a null input, output or confidence; "
                    + "use empty strings and NaN instead");
        }
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        confidences = confidences == null ? List.of() : List.copyOf(confidences);
    }

    private static boolean hasNull(List<?> list) {
        return list != null && list.stream().anyMatch(java.util.Objects::isNull);
    }

    public long totalNanos() {
        return tokenizeNanos + queueNanos + computeNanos;
    }

    public boolean failed() {
        return error != null;
    }
}
