package dev.keel.runtime;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import java.nio.file.Path;

/**
 * The three-line entry point for host applications:
 * <pre>
 * try (InferenceSession session = Keel.open("models/shakespeare")) {
 *     System.out.println(session.generate(GenerationRequest.of("ROMEO:", 100)).text());
 * }
 * try (InferenceSession minilm = Keel.open("builtin:all-minilm-l6-v2")) {
 *     float[][] vectors = minilm.embed(List.of("a fine film")).vectors();
 * }
 * </pre>
 * The backend comes from {@code -Dkeel.backend}, {@code KEEL_BACKEND}, or the best one on the class path; a
 * builtin model opens on every backend that serves its family (see
 * {@link KeelRuntime#open(ModelRef, dev.keel.api.infer.SessionOptions)}).
 */
public final class Keel {
    private Keel() { }

    /**
     * Opens a model folder.
     *
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     * @throws dev.keel.api.UnsupportedCapabilityException when the chosen backend cannot serve the model
     */
    public static InferenceSession open(Path modelFolder) {
        return runtime().open(modelFolder);
    }

    /**
     * Opens {@code builtin:NAME}, {@code registry:NAME/VERSION}, {@code registry:NAME@ALIAS} or a folder path, as
     * the command line writes model references ({@link #open(ModelRef)} of {@link ModelRef#parse}).
     *
     * @throws dev.keel.api.InvalidInputException when the text is empty or names a builtin no backend ships
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     * @throws dev.keel.api.UnsupportedCapabilityException when the chosen backend cannot serve the model
     */
    public static InferenceSession open(String reference) {
        return open(ModelRef.parse(reference));
    }

    /**
     * Opens any reference: a folder, {@code builtin:NAME} (on every backend that serves its family),
     * {@code registry:NAME/VERSION}, or {@code registry:NAME@ALIAS} (a session that follows the alias; the
     * registry is {@code KEEL_REGISTRY} or {@code ~/.keel/registry}).
     *
     * @throws dev.keel.api.InvalidInputException when the reference is null or names a builtin no backend ships
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     * @throws dev.keel.api.UnsupportedCapabilityException when the chosen backend cannot serve the model
     */
    public static InferenceSession open(ModelRef model) {
        return runtime().open(model);
    }

    /** A runtime configured from system properties and the environment. */
    public static KeelRuntime runtime() {
        return KeelRuntime.builder().build();
    }
}
