package dev.keel.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.Device;
import dev.keel.spi.tokenize.HfTokenizer;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class NoJvmWideSettingsTest {

    @Test
    void loading_the_engine_and_a_tokenizer_changes_no_system_property() {
        Map<String, String> before = copy(System.getProperties());

        DjlEngine.newManager(DjlEngine.device(Device.cpu())).close();
        HfTokenizer.fromJson("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"[UNK]\": 0, \"a\": 1}, "
                + "\"unk_token\": \"[UNK]\"}}").encode("a");

        // JNA, which DJL's engine loads natives with, records where it unpacked itself (jna.*, jnidispatch.path):
        // that is JNA's bookkeeping, set by any JNA user; Keel and DJL must add nothing else
        assertThat(changes(before, copy(System.getProperties())))
                .filteredOn(c -> !c.startsWith("jna.") && !c.startsWith("jnidispatch.")).isEmpty();
    }

    /** The properties added, removed or changed, as name=old->new. */
    private static java.util.List<String> changes(Map<String, String> before, Map<String, String> after) {
        java.util.Set<String> names = new java.util.TreeSet<>(before.keySet());
        names.addAll(after.keySet());
        return names.stream().filter(n -> !java.util.Objects.equals(before.get(n), after.get(n)))
                .map(n -> n + "=" + before.get(n) + "->" + after.get(n)).toList();
    }

    @Test
    void djl_counts_as_offline_only_when_a_property_or_variable_says_so() {
        Map<String, String> none = Map.of();
        assertThat(DjlEngine.offline(none::get, none::get)).isFalse();
        assertThat(DjlEngine.offline(Map.of("ai.djl.offline", "true")::get, none::get)).isTrue();
        assertThat(DjlEngine.offline(none::get, Map.of("OPT_OUT_TRACKING", "true")::get)).isTrue();
        assertThat(DjlEngine.offline(none::get, Map.of("DJL_OFFLINE", "true")::get)).isTrue();
        assertThat(DjlEngine.offline(Map.of("ai.djl.offline", "true")::get, Map.of("DJL_OFFLINE", "false")::get))
                .as("the environment wins, as in DJL").isFalse();
    }

    private static Map<String, String> copy(Properties p) {
        Map<String, String> m = new HashMap<>();
        p.stringPropertyNames().forEach(n -> m.put(n, p.getProperty(n)));
        return m;
    }
}
