package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import dev.keel.api.BackendNotFoundException;
import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.BackendProvider;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeelModuleTest {
    @Test
    void every_backend_on_the_class_path_is_bound_by_name() {
        Injector injector = Guice.createInjector(new KeelModule());
        Map<String, BackendProvider> byName = injector.getInstance(
                Key.get(new TypeLiteral<Map<String, BackendProvider>>() { }));
        assertThat(byName).containsKeys("djl", "onnx", "tf");
        assertThat(byName.get("onnx").getClass().getName()).isEqualTo("dev.keel.onnx.internal.OnnxBackendProvider");
    }

    @Test
    void the_runtime_is_a_singleton_that_uses_the_configured_backend() {
        Injector injector = Guice.createInjector(new KeelModule("tf", Device.cpu()));
        KeelRuntime runtime = injector.getInstance(KeelRuntime.class);
        assertThat(injector.getInstance(KeelRuntime.class)).isSameAs(runtime);
        assertThat(runtime.backend(Capability.INFER, ModelFamily.GPT2).name()).isEqualTo("tf");
    }

    @Test
    void without_guice_the_same_selection_is_made_by_the_plain_builder() {
        KeelRuntime runtime = KeelRuntime.builder().backend("tf").build();
        assertThat(runtime.backend(Capability.INFER, ModelFamily.GPT2).name()).isEqualTo("tf");
        assertThat(KeelRuntime.builder().build().backend(Capability.INFER, ModelFamily.BERT).name())
                .as("the best available backend for bert inference").isEqualTo("onnx");
    }

    @Test
    void a_misconfigured_backend_name_fails_at_first_use_with_the_inventory() {
        KeelRuntime runtime = Guice.createInjector(new KeelModule("pytorch", Device.cpu())).getInstance(KeelRuntime.class);
        assertThatThrownBy(() -> runtime.backend(Capability.INFER, ModelFamily.GPT2))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("unknown backend 'pytorch'")
                .hasMessageContaining("djl");
    }
}
