package dev.keel.spi.registry;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.iterate.ModelRegistry;
import org.apiguardian.api.API;

/**
 * What a registry implementation provides to {@link ModelRegistries}, found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.keel.spi.registry.ModelRegistryProvider}). {@code keel-registry} ships the one
 * for SQLite folders and PostgreSQL JDBC URLs. The constructor must be cheap: nothing opens until
 * {@link #open} is called.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ModelRegistryProvider {
    /** True when this provider opens {@code location} (a folder path or a JDBC URL). */
    boolean accepts(String location);

    /** Opens (creating and migrating when needed) the registry at {@code location}. */
    ModelRegistry open(String location);
}
