package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apiguardian.api.API;

/**
 * One served call as the inference log keeps it.
 *
 * @param sequence      the log's order (increasing with the time calls were written; gaps are possible)
 * @param id            the inference id the call returned (feedback names it, {@code id#k} for the k-th text)
 * @param at            when the call started
 * @param model         the served model's name (registry name, folder or builtin name), or null when unknown
 * @param version       the served version: the registry version number, else the model's own version string
 * @param backend       the backend that served it
 * @param device        where it ran ({@code cpu}, {@code gpu:0})
 * @param operation     {@code classify}, {@code generate}, {@code embed}, {@code evaluate} or {@code logits}
 * @param latencyNanos  the call's time (tokenize + queue + compute)
 * @param inputTokens   tokens in
 * @param outputTokens  tokens out (generation)
 * @param inputs        the input texts, after the log's redaction hook
 * @param outputs       predicted labels (classification) or generated texts; empty for embeddings
 * @param confidences   one confidence per output where there is one (classification), else empty
 * @param error         the failure message, or null for a call that succeeded
 * @param tags          the tagger's tags for the call (slices), sorted by key
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record CapturedCall(long sequence, String id, Instant at, String model, String version, String backend,
        String device, String operation, long latencyNanos, long inputTokens, long outputTokens, List<String> inputs,
        List<String> outputs, List<Double> confidences, String error, Map<String, String> tags) {

    public CapturedCall {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        confidences = confidences == null ? List.of() : Collections.unmodifiableList(new java.util.ArrayList<>(confidences));
        tags = tags == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(tags));
    }

    /** The {@code k}-th input, or null when the call had fewer. */
    public String input(int k) {
        return k >= 0 && k < inputs.size() ? inputs.get(k) : null;
    }

    /** The {@code k}-th output (predicted label or generated text), or null when the call had fewer. */
    public String output(int k) {
        return k >= 0 && k < outputs.size() ? outputs.get(k) : null;
    }

    public boolean failed() {
        return error != null;
    }

    /**
     * The call's slice values: its tags plus the built-in {@code backend}, {@code device}, {@code operation},
     * {@code model}, {@code version} and, for item {@code k}, {@code predicted} (its output).
     */
    public Map<String, String> slice(int k) {
        Map<String, String> s = new TreeMap<>(tags);
        putIfPresent(s, "backend", backend);
        putIfPresent(s, "device", device);
        putIfPresent(s, "operation", operation);
        putIfPresent(s, "model", model);
        putIfPresent(s, "version", version);
        putIfPresent(s, "predicted", output(k));
        return s;
    }

    private static void putIfPresent(Map<String, String> m, String k, String v) {
        if (v != null) {
            m.putIfAbsent(k, v);
        }
    }
}
