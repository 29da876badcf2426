package dev.keel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.iterate.Registration;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The registry form of a model reference, and the name rules it shares with the registry. */
class ModelRefRegistryTest {
    @Test
    void registry_references_parse_into_a_name_and_an_alias_or_a_version_and_print_back_the_same() {
        ModelRef alias = ModelRef.parse("registry:sentiment@champion");
        ModelRef version = ModelRef.parse("registry:sentiment/3");

        assertThat(alias.isRegistry()).isTrue();
        assertThat(alias.registry()).contains(new ModelRef.Registry("sentiment", "champion", null));
        assertThat(alias.registry().orElseThrow().followsAlias()).isTrue();
        assertThat(version.registry()).contains(new ModelRef.Registry("sentiment", null, 3));
        assertThat(alias).hasToString("registry:sentiment@champion").isEqualTo(ModelRef.registry("sentiment", "champion"));
        assertThat(version).hasToString("registry:sentiment/3").isEqualTo(ModelRef.registry("sentiment", 3));
        assertThat(alias.path()).isEmpty();
        assertThat(alias.isBuiltin()).isFalse();
        assertThat(ModelRef.parse("runs/registry").isRegistry()).isFalse();
    }

    @Test
    void malformed_registry_references_are_refused_with_the_two_accepted_forms() {
        for (String bad : new String[] {"registry:", "registry:sentiment", "registry:sentiment/x", "registry:@champion",
                "registry:sentiment/0", "registry:a@b/1", "registry:../etc/1", "registry:sentiment@1st"}) {
            assertThatThrownBy(() -> ModelRef.parse(bad)).as(bad).isInstanceOf(InvalidInputException.class)
                    .message().containsAnyOf("registry:NAME", "not valid", "numbered from 1");
        }
    }

    @Test
    void a_registration_checks_its_values_when_it_is_built() {
        Path folder = Path.of("runs/m");
        assertThat(Registration.of("m", folder).metric("acc", 0.9).tag("k", "v").alias("champion").build().alias())
                .isEqualTo("champion");
        assertThatThrownBy(() -> Registration.of("m", folder).metric("acc", Double.NaN).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("finite");
        assertThatThrownBy(() -> Registration.of("m", null).build()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no model folder");
        assertThatThrownBy(() -> Registration.of("m", folder).alias("9lives").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("starting with a letter");
    }
}
