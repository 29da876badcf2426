package dev.keel.api.iterate;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stage four: the releases of each model with their lineage; promote a challenger or roll back.
 * Implementations persist every change atomically.
 */
public interface ModelRegistry {
    ModelVersion register(String name, Path modelFolder, Integer parentVersion, Map<String, Double> metrics);

    List<ModelVersion> versions(String name);

    Optional<ModelVersion> production(String name);

    ModelVersion promote(String name, int version);

    ModelVersion rollback(String name);
}
