package dev.keel.registry.capture;

import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import java.time.Instant;
import java.util.List;

/** Inference events as sessions report them, for feeding the log without an engine. */
final class TestCalls {
    private TestCalls() { }

    /** A classification of {@code texts}, predicting {@code labels} with confidence 0.9, served by backend onnx. */
    static InferenceEvent classify(String id, Instant at, List<String> texts, List<String> labels) {
        return new InferenceEvent(id, at, Operation.CLASSIFY, "v-test", "onnx", "cpu", 1_000, 2_000, 3_000_000, texts,
                texts.size() * 7L, 0, 0, labels, labels.stream().map(l -> 0.9).toList(), null);
    }

    static InferenceEvent classify(String id, String text, String label) {
        return classify(id, Instant.now(), List.of(text), List.of(label));
    }

    static InferenceEvent generate(String id, String prompt, String response) {
        return new InferenceEvent(id, Instant.now(), Operation.GENERATE, "v-gen", "djl", "cpu", 1_000, 0, 9_000_000,
                List.of(prompt), 5, 12, 2_000_000, List.of(response), List.of(), null);
    }

    static InferenceEvent embed(String id, String text) {
        return new InferenceEvent(id, Instant.now(), Operation.EMBED, "v-emb", "onnx", "cpu", 1_000, 0, 2_000_000,
                List.of(text), 6, 0, 0, List.of(), List.of(), null);
    }

    static InferenceEvent failed(String id, String text) {
        return new InferenceEvent(id, Instant.now(), Operation.CLASSIFY, "v-test", "onnx", "cpu", 1_000, 0, 0, List.of(text),
                0, 0, 0, List.of(), List.of(), "InvalidInputException: too long");
    }
}
