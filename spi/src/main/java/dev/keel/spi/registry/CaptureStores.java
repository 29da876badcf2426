package dev.keel.spi.registry;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStore;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.apiguardian.api.API;

/**
 * Finds a capture store implementation on the class path, so the runtime can turn capture on from a location
 * ({@code KeelRuntime.builder().capture("capture.db")}) without depending on JDBC.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class CaptureStores {
    private CaptureStores() { }

    /** Opens the store at {@code location} with the first provider that accepts it. */
    public static CaptureStore open(String location, CaptureOptions options) {
        List<CaptureStoreProvider> providers = new ArrayList<>();
        ServiceLoader.load(CaptureStoreProvider.class, CaptureStores.class.getClassLoader()).forEach(providers::add);
        if (providers.isEmpty()) {
            throw new UnsupportedCapabilityException("no inference log implementation is on the class path, so "
                    + "capture store " + location + " cannot be opened; add the " + ModelRegistries.ARTIFACT
                    + " artifact (Maven: <dependency><groupId>dev.keel</groupId><artifactId>keel-registry"
                    + "</artifactId></dependency>)");
        }
        for (CaptureStoreProvider p : providers) {
            if (p.accepts(location)) {
                return p.open(location, options);
            }
        }
        throw new UnsupportedCapabilityException("no capture store provider accepts '" + location + "'; give a "
                + "folder, an SQLite file, or a JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB)");
    }
}
