package dev.keel.runtime;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import java.nio.file.Path;

/**
 * The three-line entry point for host applications:
 * <pre>
 * try (InferenceSession session = Keel.open(Path.of("models/shakespeare"))) {
 *     System.out.println(session.generate(GenerationRequest.of("ROMEO:", 100)).text());
 * }
 * </pre>
 * The backend comes from {@code -Dkeel.backend}, {@code KEEL_BACKEND}, or the best one on the class path.
 */
public final class Keel {
    private Keel() { }

    public static InferenceSession open(Path modelFolder) {
        return runtime().open(modelFolder);
    }

    /**
     * Opens any reference: a folder, {@code builtin:NAME}, {@code registry:NAME/VERSION}, or
     * {@code registry:NAME@ALIAS} (a session that follows the alias; the registry is {@code KEEL_REGISTRY} or
     * {@code ~/.keel/registry}).
     */
    public static InferenceSession open(ModelRef model) {
        return runtime().open(model);
    }

    /** {@link #open(ModelRef)} of {@link ModelRef#parse} of {@code reference}. */
    public static InferenceSession open(String reference) {
        return open(ModelRef.parse(reference));
    }

    /** A runtime configured from system properties and the environment. */
    public static KeelRuntime runtime() {
        return KeelRuntime.builder().build();
    }
}
