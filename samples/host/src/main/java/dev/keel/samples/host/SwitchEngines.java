package dev.keel.samples.host;

import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.KeelRuntime;
import java.util.List;

/**
 * The same code on two engines: the backend is configuration ({@code -Dkeel.backend=djl}, {@code KEEL_BACKEND},
 * or {@code KeelRuntime.builder().backend(name)}), and a builtin model opens on every engine of its family.
 */
public final class SwitchEngines {
    public static void main(String[] args) {
        for (String engine : List.of("onnx", "djl")) {
            System.out.printf("%s: %.5f%n", engine, firstNumber(engine));
        }
    }

    /** The first number of the embedding of one sentence, which every engine computes alike. */
    public static float firstNumber(String engine) {
        KeelRuntime keel = KeelRuntime.builder().backend(engine).build();
        try (InferenceSession minilm = keel.open("builtin:all-minilm-l6-v2")) {
            return minilm.embed(List.of("a fine film")).vector(0)[0];
        }
    }
}
