package dev.keel.api.iterate;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * One registered release of a model, with its lineage.
 *
 * @param name      the model's name in the registry
 * @param version   a monotonically increasing version number
 * @param location  the model folder
 * @param parent    the version it was derived from (null for a first release)
 * @param stage     candidate, production or retired
 * @param metrics   quality figures recorded at registration
 * @param created   when it was registered
 */
public record ModelVersion(String name, int version, Path location, Integer parent, Stage stage,
        Map<String, Double> metrics, Instant created) {
    public enum Stage { CANDIDATE, PRODUCTION, RETIRED }

    public ModelVersion {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}
