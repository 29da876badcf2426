package dev.keel.registry.capture;

import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStore;
import dev.keel.spi.registry.CaptureStoreProvider;

/**
 * Lets the runtime open capture stores without depending on this module ({@code KeelRuntime.builder()
 * .capture("capture.db")}): found by ServiceLoader through
 * {@code META-INF/services/dev.keel.spi.registry.CaptureStoreProvider}. Accepts folders, SQLite files and
 * {@code jdbc:sqlite:} / {@code jdbc:postgresql:} URLs.
 */
public final class CaptureProvider implements CaptureStoreProvider {
    @Override
    public boolean accepts(String location) {
        return location != null && (!location.startsWith("jdbc:") || location.startsWith("jdbc:sqlite:")
                || location.startsWith("jdbc:postgresql:"));
    }

    @Override
    public CaptureStore open(String location, CaptureOptions options) {
        return JdbcCaptureStore.builder().location(location).options(options).build();
    }
}
