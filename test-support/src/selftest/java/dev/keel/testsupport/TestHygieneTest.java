package dev.keel.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class TestHygieneTest {

    @Test
    void restoring_removes_added_properties_and_puts_back_changed_and_cleared_ones() {
        Properties p = new Properties();
        p.setProperty("kept", "1");
        p.setProperty("changed", "before");
        p.setProperty("cleared", "x");
        Map<String, String> before = TestHygiene.snapshot(p);
        p.setProperty("added", "y");
        p.setProperty("changed", "after");
        p.remove("cleared");

        TestHygiene.restore(p, before);

        assertThat(TestHygiene.snapshot(p)).isEqualTo(Map.of("kept", "1", "changed", "before", "cleared", "x"));
    }

    @Test
    void a_developer_backend_in_the_environment_fails_the_run_naming_it() {
        assertThatThrownBy(() -> TestHygiene.requireCleanEnvironment(Map.of("KEEL_BACKEND", "tf", "HOME", "/root")))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("KEEL_BACKEND=tf").hasMessageContaining("unset");
    }

    @Test
    void an_environment_without_keel_settings_passes() {
        TestHygiene.requireCleanEnvironment(Map.of("HOME", "/root", "KEEL_BACKEND", " "));
    }

    @Test
    void tests_run_with_a_cache_root_that_is_not_the_home_cache() {
        String cache = System.getProperty(TestHygiene.CACHE_PROPERTY);
        assertThat(cache).isNotNull().doesNotStartWith(System.getProperty("user.home") + "/.cache");
    }
}
