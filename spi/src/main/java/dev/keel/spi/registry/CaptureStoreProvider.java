package dev.keel.spi.registry;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStore;
import org.apiguardian.api.API;

/**
 * What a capture store implementation provides to {@link CaptureStores}, found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.keel.spi.registry.CaptureStoreProvider});
 * {@code keel-registry} ships the one for SQLite and PostgreSQL. The constructor must be cheap.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface CaptureStoreProvider {
    /** True when this provider opens {@code location} (a folder, an SQLite file or a JDBC URL). */
    boolean accepts(String location);

    /** Opens (creating and migrating when needed) the store at {@code location}. */
    CaptureStore open(String location, CaptureOptions options);
}
