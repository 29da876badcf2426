package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.Availability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import dev.keel.spi.Capabilities;
import dev.keel.spi.KeelCache;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheRootTest {
    @TempDir
    Path dir;

    @Test
    void the_builder_s_cache_root_reaches_the_backend_the_runtime_chooses() {
        AtomicReference<KeelCache> given = new AtomicReference<>();
        KeelRuntime keel = KeelRuntime.builder().backends(Backends.of(List.of(new Recording(given)), k -> null, k -> null))
                .cache(dir.resolve("mine")).build();

        keel.backend(Capability.INFER, ModelFamily.GPT2);

        assertThat(keel.cache().root()).isEqualTo(dir.resolve("mine").toAbsolutePath());
        assertThat(given.get()).isEqualTo(KeelCache.at(dir.resolve("mine")));
    }

    @Test
    void without_a_configured_root_the_runtime_uses_the_keel_cache_property() {
        System.setProperty(KeelCache.PROPERTY, dir.resolve("from-property").toString());
        assertThat(KeelRuntime.builder().backends(Backends.of(List.of(), k -> null, k -> null)).build().cache().root())
                .isEqualTo(dir.resolve("from-property").toAbsolutePath());
    }

    @Test
    void the_guice_module_passes_its_cache_root_to_the_runtime() {
        AtomicReference<KeelCache> given = new AtomicReference<>();
        KeelRuntime keel = Guice.createInjector(new KeelModule(List.of(new Recording(given)), null, Device.cpu())
                .cache(dir.resolve("guice"))).getInstance(KeelRuntime.class);
        assertThat(keel.cache().root()).isEqualTo(dir.resolve("guice").toAbsolutePath());
    }

    /** A provider that only records the cache it is configured with. */
    private record Recording(AtomicReference<KeelCache> given) implements BackendProvider {
        @Override
        public String name() {
            return "recording";
        }

        @Override
        public int priority() {
            return 1;
        }

        @Override
        public Capabilities capabilities() {
            return Capabilities.builder().stage(Capability.INFER, ModelFamily.GPT2).devices(Device.Kind.CPU).build();
        }

        @Override
        public Availability availability() {
            return Availability.yes();
        }

        @Override
        public BackendProvider withCache(KeelCache cache) {
            given.set(cache);
            return this;
        }
    }
}
