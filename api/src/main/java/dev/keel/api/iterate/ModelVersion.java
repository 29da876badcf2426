package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apiguardian.api.API;

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
@API(status = EXPERIMENTAL, since = "0.1")
public record ModelVersion(String name, int version, Path location, Integer parent, Stage stage,
        Map<String, Double> metrics, Instant created) {
    public enum Stage { CANDIDATE, PRODUCTION, RETIRED }

    public ModelVersion {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}
