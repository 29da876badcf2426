package dev.keel.spi.registry;

import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStore;

/**
 * What a capture store implementation provides to {@link CaptureStores}, found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.keel.spi.registry.CaptureStoreProvider});
 * {@code keel-registry} ships the one for SQLite and PostgreSQL. The constructor must be cheap.
 */
public interface CaptureStoreProvider {
    /** True when this provider opens {@code location} (a folder, an SQLite file or a JDBC URL). */
    boolean accepts(String location);

    /** Opens (creating and migrating when needed) the store at {@code location}. */
    CaptureStore open(String location, CaptureOptions options);
}
