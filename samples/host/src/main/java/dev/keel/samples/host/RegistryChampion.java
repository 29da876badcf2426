package dev.keel.samples.host;

import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.infer.InferenceSession;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.util.List;

/**
 * Stage 4: registers a classifier as a version with the alias {@code champion} and serves
 * {@code registry:sentiment@champion}: a session that follows the alias when it moves (needs keel-registry).
 */
public final class RegistryChampion {
    /** {@code CLASSIFIER-FOLDER REGISTRY-FOLDER}. */
    public static void main(String[] args) {
        System.out.println(run(Path.of(args[0]), Path.of(args[1])));
    }

    public static String run(Path classifierFolder, Path registryFolder) {
        try (ModelRegistry registry = JdbcModelRegistry.open(registryFolder)) {
            ModelVersion v = registry.register(Registration.of("sentiment", classifierFolder)
                    .alias("champion").reason("first release").build());
            KeelRuntime keel = KeelRuntime.builder().registry(registry).build();
            try (InferenceSession champion = keel.open("registry:sentiment@champion")) {
                return "version " + v.version() + " says "
                        + champion.classify(List.of("a gripping, beautiful film")).predictions().get(0).label();
            }
        }
    }
}
