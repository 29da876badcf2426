package dev.keel.samples.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.runtime.KeelRuntime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plugin as a host meets it: on the class path, found by the hub, configured, fed by a real session. */
class LongInputMonitorTest {
    @Test
    void the_hub_finds_the_plugin_on_the_class_path_configures_it_and_feeds_it_every_call() {
        MonitorConfig settings = MonitorConfig.of(Map.of("long_inputs.max_chars", "12"));
        try (MonitorHub hub = MonitorHub.builder().discover(settings).alertInterval(Duration.ZERO).build()) {
            assertThat(hub.monitorNames()).contains(LongInputMonitor.NAME, "latency", "accuracy");
            try (InferenceSession s = KeelRuntime.builder().monitors(hub).build().open("builtin:all-minilm-l6-v2")) {
                s.embed(List.of("short", "a text longer than twelve characters"));
                s.embed(List.of("tiny"));
            }
            assertThat(hub.awaitIdle(Duration.ofSeconds(30))).as("the hub delivered every event").isTrue();
            Map<String, Double> values = hub.monitor(LongInputMonitor.class).orElseThrow().snapshot().values();
            assertThat(values).containsEntry("calls_total", 2.0).containsEntry("inputs_total", 3.0)
                    .containsEntry("long_inputs_total", 1.0).containsEntry("max_chars", 12.0);
        }
    }

    /** A plugin packaged wrongly: listed for ServiceLoader without the public no-argument constructor it requires. */
    public static final class WithoutNoArgumentConstructor implements Monitor {
        public WithoutNoArgumentConstructor(MonitorConfig config) {
            config.toString();
        }

        @Override
        public String name() {
            return "broken";
        }

        @Override
        public void onInference(InferenceEvent event) { }

        @Override
        public MonitorSnapshot snapshot() {
            return new MonitorSnapshot("broken", Instant.now(), Map.of(), Map.of());
        }
    }

    @Test
    void a_listed_monitor_without_a_no_argument_constructor_is_left_out_and_named_while_the_others_run() {
        try (MonitorHub hub = MonitorHub.builder().discover(MonitorConfig.empty()).alertInterval(Duration.ZERO).build()) {
            assertThat(hub.monitorNames()).contains(LongInputMonitor.NAME, "latency").doesNotContain("broken");
            MonitorSnapshot own = hub.snapshots().stream().filter(s -> s.monitor().equals(MonitorHub.NAME))
                    .findFirst().orElseThrow();
            assertThat(String.valueOf(own.details().get("construction_errors")))
                    .contains(WithoutNoArgumentConstructor.class.getName(), "Unable to get public no-arg constructor");
        }
    }

    @Test
    void keel_monitor_disabled_leaves_it_out_and_a_bad_setting_is_an_error_naming_the_key() {
        try (MonitorHub hub = MonitorHub.builder().discover(MonitorConfig.of(Map.of("disabled", "long_inputs")))
                .alertInterval(Duration.ZERO).build()) {
            assertThat(hub.monitorNames()).doesNotContain(LongInputMonitor.NAME).contains("latency");
        }
        assertThatThrownBy(() -> MonitorHub.builder().discover(MonitorConfig.of(Map.of("long_inputs.max_chars", "many"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("keel.monitor.long_inputs.max_chars");
    }
}
