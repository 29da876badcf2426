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

    @Override
    public ModelRegistry open(String location) {
        return JdbcModelRegistry.open(location);
    }
}
