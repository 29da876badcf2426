package dev.keel.spi.registry;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.iterate.ModelRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.apiguardian.api.API;

/**
 * Finds a registry implementation on the class path and says where the default registry lives. Keel's runtime
 * reaches the registry only through here, so hosts that never use a registry need neither its module nor its
 * JDBC drivers; one that does gets an error naming the artifact to add.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class ModelRegistries {
    /** System property naming the registry (a folder or a JDBC URL); the environment's is {@value #ENV}. */
    public static final String PROPERTY = "keel.registry";
    public static final String ENV = "KEEL_REGISTRY";
    /** The Maven coordinates of the implementation, for error messages. */
    public static final String ARTIFACT = "dev.keel:keel-registry";

    private ModelRegistries() { }

    /**
     * The registry location when none is configured: {@code -Dkeel.registry}, else {@code KEEL_REGISTRY},
     * else {@code ~/.keel/registry}.
     */
    public static String defaultLocation() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return p;
        }
        String e = System.getenv(ENV);
        if (e != null && !e.isBlank()) {
            return e;
        }
        return Path.of(System.getProperty("user.home"), ".keel", "registry").toString();
    }

    /** Opens the registry at {@code location} with the first provider that accepts it. */
    public static ModelRegistry open(String location) {
        List<ModelRegistryProvider> providers = new ArrayList<>();
        ServiceLoader.load(ModelRegistryProvider.class, ModelRegistries.class.getClassLoader()).forEach(providers::add);
        if (providers.isEmpty()) {
            throw new UnsupportedCapabilityException("no model registry implementation is on the class path, so "
                    + "registry " + location + " cannot be opened; add the " + ARTIFACT + " artifact (Maven: "
                    + "<dependency><groupId>dev.keel</groupId><artifactId>keel-registry</artifactId></dependency>)");
        }
        for (ModelRegistryProvider p : providers) {
            if (p.accepts(location)) {
                return p.open(location);
            }
        }
        throw new UnsupportedCapabilityException("no registry provider accepts '" + location + "'; give a folder "
                + "path or a JDBC URL (jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB)");
    }
}
