package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import java.nio.file.Path;
import java.util.ServiceLoader;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration, naming, capabilities and the errors for what a backend does not do. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface CoreChecks extends KitBase {

    @Test
    default void the_provider_is_registered_with_service_loader_from_its_own_jar() {
        Class<?> type = provider().getClass();
        assertThat(ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::type))
                .as("META-INF/services/%s must name %s", BackendProvider.class.getName(), type.getName())
                .contains(type.asSubclass(BackendProvider.class));
    }

    @Test
    default void its_name_is_short_lower_case_and_stable() {
        String name = provider().name();
        assertThat(name).matches("[a-z][a-z0-9-]{0,15}");
        assertThat(provider().name()).isEqualTo(name);
    }

    @Test
    default void it_is_available_here_and_declares_cpu() {
        assertThat(provider().availability().available())
                .as("availability: %s", provider().availability().reason()).isTrue();
        assertThat(provider().capabilities().supports(Device.cpu())).isTrue();
        assertThat(provider().capabilities().stages()).isNotEmpty();
    }

    @Test
    default void every_stage_it_does_not_declare_fails_with_a_clear_error() {
        BackendProvider p = provider();
        for (Capability c : Capability.values()) {
            if (p.capabilities().supports(c)) {
                continue;
            }
            Runnable call = switch (c) {
                case PRETRAIN -> () -> p.pretrainer(Device.cpu());
                case ADAPT -> () -> p.adapter(Device.cpu());
                case INFER -> () -> p.open(ModelRef.of(Path.of("nowhere")), SessionOptions.defaults());
                case EXPORT -> () -> p.export(ModelRef.of(Path.of("nowhere")), Path.of("nowhere-else"));
                case IMPORT -> () -> p.importModel(ModelRef.of(Path.of("nowhere")), Path.of("nowhere-else"));
            };
            assertThatThrownBy(call::run).as(c.name())
                    .isInstanceOf(UnsupportedCapabilityException.class)
                    .hasMessageContaining(p.name());
        }
    }

    @Test
    default void selecting_it_for_an_undeclared_stage_names_the_backends_that_can() {
        BackendProvider p = provider();
        for (Capability c : Capability.values()) {
            if (!p.capabilities().supports(c)) {
                Backends backends = Backends.of(java.util.List.of(p), k -> null, k -> null);
                assertThatThrownBy(() -> backends.select(p.name(), c, null, Device.cpu()))
                        .isInstanceOf(UnsupportedCapabilityException.class)
                        .hasMessageContaining("'" + p.name() + "'")
                        .hasMessageContaining(c.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
    }

    @Test
    default void opening_a_missing_model_folder_names_the_folder(@TempDir Path dir) {
        if (!provider().capabilities().supports(Capability.INFER)) {
            return; // covered by every_stage_it_does_not_declare_fails_with_a_clear_error
        }
        Path missing = dir.resolve("no-such-model");
        assertThatThrownBy(() -> provider().open(ModelRef.of(missing), SessionOptions.defaults()))
                .isInstanceOf(KeelException.class)
                .hasMessageContaining(missing.toString());
    }
}
