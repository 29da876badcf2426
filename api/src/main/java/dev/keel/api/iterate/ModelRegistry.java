package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Stage four: the releases of each model with their lineage; promote a challenger or roll back.
 * Implementations persist every change atomically.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ModelRegistry {
    ModelVersion register(String name, Path modelFolder, Integer parentVersion, Map<String, Double> metrics);

    List<ModelVersion> versions(String name);

    Optional<ModelVersion> production(String name);

    ModelVersion promote(String name, int version);

    ModelVersion rollback(String name);
}
