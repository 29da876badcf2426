package dev.keel.registry;

import dev.keel.api.iterate.ModelRegistry;
import dev.keel.spi.registry.ModelRegistryProvider;

/**
 * Lets the runtime open registries without depending on this module: found by ServiceLoader through
 * {@code META-INF/services/dev.keel.spi.registry.ModelRegistryProvider}. Accepts folders, SQLite files and
 * {@code jdbc:sqlite:} / {@code jdbc:postgresql:} URLs.
 */
public final class RegistryProvider implements ModelRegistryProvider {
    @Override
    public boolean accepts(String location) {
        return location != null && (!location.startsWith("jdbc:") || location.startsWith("jdbc:sqlite:")
                || location.startsWith("jdbc:postgresql:"));
    }

    /**
     * Opens an existing registry: the runtime only resolves references, so a folder that does not exist is an
     * error (a typo in KEEL_REGISTRY must not leave an empty registry behind), not a new registry.
     */
    @Override
    public ModelRegistry open(String location) {
        if (!location.startsWith("jdbc:") && !java.nio.file.Files.exists(java.nio.file.Path.of(location))) {
            throw new dev.keel.api.iterate.ModelNotFoundException("there is no model registry at " + location
                    + "; register a model first (keel registry register --registry " + location
                    + " --name NAME --model DIR), or point --registry / KEEL_REGISTRY at an existing registry");
        }
        return JdbcModelRegistry.open(location);
    }
}
