package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Feedback;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.builtin.UserExperienceMonitor;
import dev.keel.spi.Backends;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeelRuntimeMonitorsTest {

    @Test
    void an_attached_hub_receives_feedback_through_the_runtime() {
        try (MonitorHub hub = MonitorHub.builder().monitor(new UserExperienceMonitor(MonitorConfig.empty()))
                .alertInterval(Duration.ZERO).build()) {
            KeelRuntime runtime = KeelRuntime.builder().backends(Backends.of(List.of())).monitors(hub).build();
            assertThat(runtime.monitors()).containsSame(hub);
            assertThat(runtime.feedback(Feedback.thumbsUp("abc"))).isTrue();
            hub.awaitIdle(Duration.ofSeconds(5));
            assertThat(hub.monitor(UserExperienceMonitor.class).orElseThrow().snapshot().values().get("thumbs_up_total"))
                    .isEqualTo(1.0);
        }
    }

    @Test
    void feedback_without_a_hub_says_how_to_attach_one() {
        KeelRuntime runtime = KeelRuntime.builder().backends(Backends.of(List.of())).build();
        assertThat(runtime.monitors()).isEmpty();
        assertThatThrownBy(() -> runtime.feedback(Feedback.thumbsUp("abc"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("monitors(MonitorHub.withDefaults())").hasMessageContaining(".capture(DB)");
    }
}
