package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Assumptions;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registration, naming, capabilities and the errors for what a backend does not do. Every failure message says
 * what the kit expected and why, so a plugin author can act on it without reading the kit.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface CoreChecks extends KitBase {

    @Test
    default void the_provider_is_registered_with_service_loader_from_its_own_jar() {
        Class<?> type = provider().getClass();
        assertThat(ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::type))
                .as("Keel finds backends with ServiceLoader, so the backend's jar must list %s in "
                        + "META-INF/services/%s (a public class with a public no-argument constructor)", type.getName(),
                        BackendProvider.class.getName())
                .contains(type.asSubclass(BackendProvider.class));
    }

    @Test
    default void its_name_is_short_lower_case_and_stable() {
        String name = provider().name();
        assertThat(name).as("a backend's name is what hosts write in -Dkeel.backend=NAME and KEEL_BACKEND: 1 to 16 "
                + "characters, a lower-case letter, then lower-case letters, digits or '-'").matches("[a-z][a-z0-9-]{0,15}");
        assertThat(provider().name()).as("name() of a second provider instance (the name must not change)")
                .isEqualTo(name);
    }

    @Test
    default void it_is_available_here_and_declares_cpu() {
        BackendProvider p = provider();
        assertThat(p.availability().available())
                .as("backend '%s' reports itself unavailable (%s); the kit runs on a machine where it should work",
                        p.name(), p.availability().reason()).isTrue();
        assertThat(p.capabilities().supports(Device.cpu()))
                .as("backend '%s' must declare the cpu device (Capabilities.builder().devices(Device.Kind.CPU, ...)): "
                        + "the kit and most hosts run on CPU", p.name()).isTrue();
    }

    @Test
    default void it_declares_at_least_one_stage() {
        BackendProvider p = provider();
        assertThat(p.capabilities().stages())
                .as("backend '%s' declares no stage: capabilities() must declare what it does, e.g. "
                        + "Capabilities.builder().stage(Capability.INFER, ModelFamily.BERT), or Keel never selects it "
                        + "and the kit has nothing to check", p.name()).isNotEmpty();
    }

    @Test
    default void every_stage_it_does_not_declare_fails_with_a_clear_error() {
        BackendProvider p = provider();
        Assumptions.assumeFalse(p.capabilities().stages().containsAll(EnumSet.allOf(Capability.class)),
                () -> "backend '" + p.name() + "' declares every stage; there is no refusal to check");
        for (Capability c : Capability.values()) {
            if (p.capabilities().supports(c)) {
                continue;
            }
            String call = switch (c) {
                case PRETRAIN -> "pretrainer(cpu)";
                case ADAPT -> "adapter(cpu)";
                case INFER -> "open(nowhere)";
                case EXPORT -> "export(nowhere, nowhere-else)";
                case IMPORT -> "importModel(nowhere, nowhere-else)";
            };
            ThrowingCallable refused = switch (c) {
                case PRETRAIN -> () -> p.pretrainer(Device.cpu());
                case ADAPT -> () -> p.adapter(Device.cpu());
                case INFER -> () -> p.open(ModelRef.of(Path.of("nowhere")), SessionOptions.defaults());
                case EXPORT -> () -> p.export(ModelRef.of(Path.of("nowhere")), Path.of("nowhere-else"));
                case IMPORT -> () -> p.importModel(ModelRef.of(Path.of("nowhere")), Path.of("nowhere-else"));
            };
            assertRefused(c, null, call, refused);
        }
    }

    @Test
    default void selecting_it_for_an_undeclared_stage_names_the_backends_that_can() {
        BackendProvider p = provider();
        Assumptions.assumeFalse(p.capabilities().stages().containsAll(EnumSet.allOf(Capability.class)),
                () -> "backend '" + p.name() + "' declares every stage; there is no refusal to check");
        for (Capability c : Capability.values()) {
            if (!p.capabilities().supports(c)) {
                Backends backends = Backends.of(List.of(p), k -> null, k -> null);
                String stage = c.name().toLowerCase(Locale.ROOT);
                KitBase.expectThrown(String.format("Backends.select('%s', %s) when '%s' does not declare %s must throw "
                        + "UnsupportedCapabilityException naming the backend and the stage '%s' (Backends writes it "
                        + "from capabilities())", p.name(), c, p.name(), c, stage),
                        () -> backends.select(p.name(), c, null, Device.cpu()))
                        .isInstanceOf(UnsupportedCapabilityException.class)
                        .hasMessageContaining("'" + p.name() + "'")
                        .hasMessageContaining(stage);
            }
        }
    }

    @Test
    default void opening_a_missing_model_folder_names_the_folder(@TempDir Path dir) {
        BackendProvider p = provider();
        Assumptions.assumeTrue(p.capabilities().supports(Capability.INFER), () -> "backend '" + p.name()
                + "' does not declare INFER, so there is no folder to open (its refusal is checked by "
                + "every_stage_it_does_not_declare_fails_with_a_clear_error)");
        Path missing = dir.resolve("no-such-model");
        KitBase.expectThrown(String.format("backend '%s' opening a folder that does not exist must throw a "
                + "KeelException (CheckpointException or InvalidInputException) whose message names the folder",
                p.name()), () -> p.open(ModelRef.of(missing), SessionOptions.defaults()))
                .isInstanceOf(KeelException.class)
                .hasMessageContaining(missing.toString());
    }
}
