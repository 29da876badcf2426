package dev.keel.runtime;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.MapBinder;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Guice wiring: installs every discovered backend in a {@code Map<String, BackendProvider>} (MapBinder by
 * name) and provides a {@link KeelRuntime} that chooses among them by configuration. Host code injects
 * {@link KeelRuntime} and never names an engine.
 */
public final class KeelModule extends AbstractModule {
    private final List<BackendProvider> providers;
    private final String backendName;
    private final Device device;
    private final List<InferenceListener> listeners;
    private final Path cache;

    /** Discovers backends with ServiceLoader; selection from {@code keel.backend} / {@code KEEL_BACKEND}. */
    public KeelModule() {
        this(null, Device.cpu());
    }

    public KeelModule(String backendName, Device device, InferenceListener... listeners) {
        this(Backends.discover().all(), backendName, device, listeners);
    }

    public KeelModule(List<BackendProvider> providers, String backendName, Device device,
            InferenceListener... listeners) {
        this(providers, backendName, device, List.of(listeners), null);
    }

    private KeelModule(List<BackendProvider> providers, String backendName, Device device,
            List<InferenceListener> listeners, Path cache) {
        this.providers = List.copyOf(providers);
        this.backendName = backendName;
        this.device = device;
        this.listeners = List.copyOf(listeners);
        this.cache = cache;
    }

    /**
     * This module with Keel's caches under {@code root} ({@link KeelRuntime.Builder#cache(Path)}); without it
     * {@code -Dkeel.cache}, {@code KEEL_CACHE} or {@code ~/.cache/keel}.
     */
    public KeelModule cache(Path root) {
        if (root == null) {
            throw new InvalidInputException("cache folder is null; give a folder or leave it out for -Dkeel.cache");
        }
        return new KeelModule(providers, backendName, device, listeners, root);
    }

    @Override
    protected void configure() {
        MapBinder<String, BackendProvider> byName = MapBinder.newMapBinder(binder(), String.class,
                BackendProvider.class);
        for (BackendProvider p : providers) {
            byName.addBinding(p.name()).toInstance(p);
        }
    }

    @Provides
    @Singleton
    Backends backends(Map<String, BackendProvider> byName) {
        return Backends.of(new ArrayList<>(byName.values()));
    }

    @Provides
    @Singleton
    KeelRuntime runtime(Backends backends) {
        KeelRuntime.Builder b = KeelRuntime.builder().backends(backends).backend(backendName).device(device);
        listeners.forEach(b::listener);
        if (cache != null) {
            b.cache(cache);
        }
        return b.build();
    }
}
