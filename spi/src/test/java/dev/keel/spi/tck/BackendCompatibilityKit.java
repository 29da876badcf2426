package dev.keel.spi.tck;

/**
 * The compatibility kit every backend passes. A backend's test extends this class and returns its
 * provider; each check either exercises a declared capability or asserts the documented error for an
 * undeclared one, never skipping silently.
 *
 * <pre>
 * class DjlCompatibilityTest extends BackendCompatibilityKit {
 *     public BackendProvider provider() { return new DjlBackendProvider(); }
 * }
 * </pre>
 */
public abstract class BackendCompatibilityKit implements CoreChecks, PretrainChecks, GenerationChecks, StepDecodingChecks,
        Gpt2EmbeddingChecks {
}
