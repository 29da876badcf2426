package dev.keel.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.BackendNotFoundException;
import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.model.ModelFamily;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendsTest {
    /** A provider that declares capabilities and does nothing else: selection never calls a factory. */
    record Declared(String name, int priority, Capabilities capabilities, Availability availability)
            implements BackendProvider { }

    static final Declared TRAINER = new Declared("trainer", 100,
            Capabilities.builder().stage(Capability.PRETRAIN, ModelFamily.GPT2).stage(Capability.INFER, ModelFamily.GPT2)
                    .devices(Device.Kind.CPU, Device.Kind.GPU).build(), Availability.yes());
    static final Declared SERVER = new Declared("server", 50,
            Capabilities.builder().stage(Capability.INFER, ModelFamily.GPT2, ModelFamily.BERT).build(), Availability.yes());
    static final Declared BROKEN = new Declared("broken", 1000,
            Capabilities.builder().stage(Capability.INFER, ModelFamily.BERT).build(), Availability.no("natives missing"));

    private static Backends backends(Map<String, String> props, Map<String, String> env, BackendProvider... ps) {
        return Backends.of(List.of(ps), props::get, env::get);
    }

    @Test
    void an_explicit_name_wins_over_property_and_environment() {
        Backends b = backends(Map.of(Backends.PROPERTY, "trainer"), Map.of(Backends.ENVIRONMENT, "trainer"),
                TRAINER, SERVER);
        assertThat(b.select("server", Capability.INFER, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("server");
    }

    @Test
    void the_system_property_wins_over_the_environment() {
        Backends b = backends(Map.of(Backends.PROPERTY, "server"), Map.of(Backends.ENVIRONMENT, "trainer"),
                TRAINER, SERVER);
        assertThat(b.select(null, Capability.INFER, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("server");
    }

    @Test
    void the_environment_wins_over_the_best_priority() {
        Backends b = backends(Map.of(), Map.of(Backends.ENVIRONMENT, "server"), TRAINER, SERVER);
        assertThat(b.select(null, Capability.INFER, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("server");
    }

    @Test
    void without_configuration_the_best_available_provider_for_the_job_is_chosen() {
        Backends b = backends(Map.of(), Map.of(), SERVER, TRAINER, BROKEN);
        assertThat(b.select(null, Capability.INFER, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("trainer");
        assertThat(b.select(null, Capability.INFER, ModelFamily.BERT, Device.cpu()).name())
                .as("broken has a higher priority but is unavailable").isEqualTo("server");
        assertThat(b.select(null, Capability.INFER, ModelFamily.GPT2, Device.gpu(0)).name()).isEqualTo("trainer");
    }

    @Test
    void a_backend_may_lead_for_one_stage_only() {
        Declared fastServer = new Declared("fast", 10, SERVER.capabilities(), Availability.yes());
        BackendProvider servingFirst = new BackendProvider() {
            public String name() { return "fast"; }
            public int priority() { return 10; }
            public int priority(Capability c) { return c == Capability.INFER ? 500 : 10; }
            public Capabilities capabilities() { return fastServer.capabilities(); }
            public Availability availability() { return Availability.yes(); }
        };
        Backends b = backends(Map.of(), Map.of(), TRAINER, servingFirst);
        assertThat(b.select(null, Capability.INFER, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("fast");
        assertThat(b.select(null, Capability.PRETRAIN, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("trainer");
    }

    @Test
    void names_are_matched_without_regard_to_case_or_spaces() {
        Backends b = backends(Map.of(), Map.of(), TRAINER);
        assertThat(b.select(" Trainer ", Capability.PRETRAIN, ModelFamily.GPT2, Device.cpu()).name()).isEqualTo("trainer");
    }

    @Test
    void an_unknown_name_lists_what_was_found_and_how_to_add_a_backend() {
        Backends b = backends(Map.of(Backends.PROPERTY, "tensorrt"), Map.of(), TRAINER, SERVER);
        assertThatThrownBy(() -> b.select(null, Capability.INFER, null, Device.cpu()))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("unknown backend 'tensorrt'")
                .hasMessageContaining("-Dkeel.backend")
                .hasMessageContaining("trainer, server")
                .hasMessageContaining("META-INF/services/dev.keel.spi.BackendProvider");
    }

    @Test
    void no_backend_at_all_says_how_to_add_one() {
        Backends b = backends(Map.of(), Map.of());
        assertThatThrownBy(() -> b.select(null))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("no Keel backend found")
                .hasMessageContaining("keel-backend-djl");
    }

    @Test
    void two_providers_with_one_name_are_refused_naming_both_classes() {
        Declared twin = new Declared("trainer", 1, SERVER.capabilities(), Availability.yes());
        assertThatThrownBy(() -> backends(Map.of(), Map.of(), TRAINER, twin))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("two backends are named 'trainer'")
                .hasMessageContaining(Declared.class.getName());
    }

    @Test
    void asking_a_named_backend_for_a_stage_it_lacks_names_the_alternatives() {
        Backends b = backends(Map.of(), Map.of(), TRAINER, SERVER);
        assertThatThrownBy(() -> b.select("server", Capability.PRETRAIN, ModelFamily.GPT2, Device.cpu()))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("backend 'server' does not support pretrain")
                .hasMessageContaining("use trainer");
    }

    @Test
    void asking_for_a_family_a_backend_lacks_names_the_family_and_the_alternatives() {
        Backends b = backends(Map.of(), Map.of(), TRAINER, SERVER);
        assertThatThrownBy(() -> b.select("trainer", Capability.INFER, ModelFamily.BERT, Device.cpu()))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("cannot infer the bert model family")
                .hasMessageContaining("use server");
    }

    @Test
    void asking_for_a_device_a_backend_lacks_is_refused() {
        Backends b = backends(Map.of(), Map.of(), TRAINER, SERVER);
        assertThatThrownBy(() -> b.select("server", Capability.INFER, ModelFamily.GPT2, Device.gpu(0)))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("cannot run on gpu:0")
                .hasMessageContaining("use trainer");
    }

    @Test
    void a_named_backend_that_cannot_run_here_says_why() {
        Backends b = backends(Map.of(), Map.of(), BROKEN);
        assertThatThrownBy(() -> b.select("broken", Capability.INFER, ModelFamily.BERT, Device.cpu()))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("natives missing");
    }

    @Test
    void when_no_backend_fits_the_error_lists_the_inventory() {
        Backends b = backends(Map.of(), Map.of(), SERVER, BROKEN);
        assertThatThrownBy(() -> b.select(null, Capability.PRETRAIN, ModelFamily.GPT2, Device.cpu()))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("no available backend can pretrain the gpt2 model family")
                .hasMessageContaining("broken (unavailable: natives missing)");
    }

    @Test
    void providers_without_a_stage_refuse_its_factories() {
        assertThatThrownBy(() -> SERVER.pretrainer(Device.cpu()))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("'server'");
    }
}
