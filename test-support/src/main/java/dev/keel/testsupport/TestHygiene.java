package dev.keel.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps every test from leaking into the next one or into the developer's machine, registered for all of
 * Keel's tests by JUnit's extension autodetection (the root pom turns it on):
 * <ul>
 *   <li>every system property a test (or its {@code @BeforeAll}) sets, changes or clears is put back as it
 *       was when the test (or the class) ends, so tests need no try/finally around {@code System.setProperty};</li>
 *   <li>the developer's {@code KEEL_*} environment never steers a test: Surefire removes those variables from
 *       the test JVM, and a run that still has one (an IDE launch) fails at once, naming it, instead of
 *       quietly testing another engine or registry;</li>
 *   <li>caches go to a temporary folder: when the build has not set {@value #CACHE_PROPERTY} (Surefire sets it
 *       under {@code target/}), it points at a folder made for this JVM and removed when it exits, never at
 *       {@code ~/.cache/keel}.</li>
 * </ul>
 */
public final class TestHygiene implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    /** Keel's one cache root property ({@code dev.keel.spi.KeelCache.PROPERTY}; not imported, to stay independent). */
    static final String CACHE_PROPERTY = "keel.cache";
    /** Environment variables a developer may have set for daily use that would change what a test exercises. */
    static final List<String> DEVELOPER_ENVIRONMENT = List.of("KEEL_BACKEND", "KEEL_REGISTRY",
            "KEEL_REGISTRY_ARTIFACTS", "KEEL_CACHE");
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TestHygiene.class);
    private static Path jvmCache;

    @Override
    public void beforeAll(ExtensionContext context) {
        requireCleanEnvironment(System.getenv());
        save(context);
        if (System.getProperty(CACHE_PROPERTY) == null) {
            System.setProperty(CACHE_PROPERTY, jvmCache().toString());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        restore(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        save(context);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        restore(context);
    }

    /** Fails when a developer variable is set, naming it and the way out. */
    static void requireCleanEnvironment(Map<String, String> environment) {
        List<String> set = new ArrayList<>();
        for (String name : DEVELOPER_ENVIRONMENT) {
            String v = environment.get(name);
            if (v != null && !v.isBlank()) {
                set.add(name + "=" + v);
            }
        }
        if (!set.isEmpty()) {
            throw new ExtensionConfigurationException("the test JVM's environment sets " + String.join(", ", set)
                    + "; Keel's tests choose backends, registries and caches themselves and must not depend on "
                    + "your shell. Run them with ./mvnw (Surefire removes these variables) or unset them in the "
                    + "launch configuration");
        }
    }

    private static void save(ExtensionContext context) {
        context.getStore(NAMESPACE).put(context.getUniqueId(), snapshot(System.getProperties()));
    }

    private static void restore(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        Map<String, String> before = context.getStore(NAMESPACE).remove(context.getUniqueId(), Map.class);
        if (before != null) {
            restore(System.getProperties(), before);
        }
    }

    static Map<String, String> snapshot(Properties properties) {
        Map<String, String> copy = new HashMap<>();
        for (String name : properties.stringPropertyNames()) {
            copy.put(name, properties.getProperty(name));
        }
        return copy;
    }

    /** Puts {@code properties} back to {@code before}: added ones removed, changed or removed ones restored. */
    static void restore(Properties properties, Map<String, String> before) {
        for (String name : properties.stringPropertyNames()) {
            if (!before.containsKey(name)) {
                properties.remove(name);
            }
        }
        before.forEach((name, value) -> {
            if (!value.equals(properties.getProperty(name))) {
                properties.setProperty(name, value);
            }
        });
    }

    private static synchronized Path jvmCache() {
        if (jvmCache == null) {
            try {
                Path dir = Files.createTempDirectory("keel-test-cache-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir), "keel-test-cache-cleanup"));
                jvmCache = dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary cache folder for tests", e);
            }
        }
        return jvmCache;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temporary folder is harmless; the shutdown hook must not fail the JVM's exit
        }
    }
}
