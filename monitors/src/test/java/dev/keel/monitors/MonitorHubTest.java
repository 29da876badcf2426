package dev.keel.monitors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.builtin.AccuracyMonitor;
import dev.keel.monitors.builtin.BiasMonitor;
import dev.keel.monitors.builtin.DataDriftMonitor;
import dev.keel.monitors.builtin.LatencyMonitor;
import dev.keel.monitors.builtin.UserExperienceMonitor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MonitorHubTest {

    /** Counts what reaches it; the witness that other monitors keep working. */
    static class Counting implements Monitor, FeedbackJoin {
        final AtomicInteger events = new AtomicInteger();
        final List<String> joined = new CopyOnWriteArrayList<>();
        private final String name;

        Counting(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void onInference(InferenceEvent event) {
            events.incrementAndGet();
        }

        @Override
        public void onFeedback(Feedback f, InferenceEvent inference, int item) {
            joined.add(f.inferenceId() + "->" + (inference == null ? "none" : inference.inputs().get(0)) + "#" + item);
        }

        @Override
        public MonitorSnapshot snapshot() {
            return new MonitorSnapshot(name, Instant.now(), Map.of("events_total", (double) events.get()), Map.of());
        }
    }

    static final class Throwing implements Monitor {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public void onInference(InferenceEvent event) {
            throw new IllegalStateException("monitor bug");
        }

        @Override
        public MonitorSnapshot snapshot() {
            throw new IllegalStateException("snapshot bug");
        }
    }

    @Test
    void a_throwing_monitor_is_isolated_counted_and_reported_once() {
        Counting witness = new Counting("witness");
        List<Alert> alerts = new CopyOnWriteArrayList<>();
        try (CapturedLog log = CapturedLog.of(MonitorHub.class);
                MonitorHub hub = MonitorHub.builder().monitor(new Throwing()).monitor(witness)
                .alertInterval(Duration.ZERO).alertListener(alerts::add).build()) {
            for (int i = 0; i < 100; i++) {
                hub.onInference(Events.embed("id" + i, "hello", 1_000_000));
            }
            assertThat(hub.awaitIdle(Duration.ofSeconds(5))).isTrue();
            assertThat(witness.events.get()).isEqualTo(100);
            List<MonitorSnapshot> snaps = hub.snapshots();
            assertThat(snaps).extracting(MonitorSnapshot::monitor).containsExactly("witness", "hub");
            MonitorSnapshot self = hub.snapshot();
            assertThat(self.values().get("broken_errors_total")).isEqualTo(101.0);
            assertThat(self.values().get("witness_errors_total")).isZero();
            assertThat(alerts).filteredOn(a -> a.metric().equals("broken_errors_total")).hasSize(1);
            assertThat(hub.checkAlerts()).extracting(Alert::metric).contains("monitor_errors_total");
            assertThat(log.lines()).as("one warning for the first failure, with its cause")
                    .filteredOn(l -> l.contains("monitor 'broken' failed")).hasSize(1)
                    .allMatch(l -> l.contains("IllegalStateException: monitor bug"));
        }
    }

    @Test
    void a_slow_monitor_never_stalls_the_caller_and_its_overflow_is_dropped_and_counted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Monitor stuck = new Monitor() {
            @Override
            public String name() {
                return "stuck";
            }

            @Override
            public void onInference(InferenceEvent event) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public MonitorSnapshot snapshot() {
                return new MonitorSnapshot("stuck", Instant.now(), Map.of(), Map.of());
            }
        };
        Counting witness = new Counting("witness");
        try (MonitorHub hub = MonitorHub.builder().monitor(stuck).monitor(witness).laneCapacity(1_000)
                .slowCall(Duration.ofMillis(20)).alertInterval(Duration.ZERO).build()) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 5_000; i++) {
                hub.onInference(Events.embed("id" + i, "hello", 1000));
            }
            long callerNanos = System.nanoTime() - t0;
            // the stuck monitor holds its lane for 10 s; a caller that waited on it would take that long. Offers
            // take microseconds; half the stall leaves room for a loaded 2-core machine and still catches a wait
            assertThat(callerNanos).isLessThan(TimeUnit.SECONDS.toNanos(5));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (witness.events.get() + hub.snapshot().values().get("witness_dropped_total") < 5_000
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // the witness gets everything its own lane holds, whatever the stuck monitor does
            assertThat(witness.events.get() + hub.snapshot().values().get("witness_dropped_total")).isEqualTo(5_000.0);
            assertThat(witness.events.get()).isGreaterThanOrEqualTo(1_000);
            assertThat(hub.snapshot().values().get("stuck_dropped_total")).isGreaterThanOrEqualTo(5_000.0 - 1_000 - 64);
            Thread.sleep(100);
            release.countDown();
            assertThat(hub.awaitIdle(Duration.ofSeconds(5))).isTrue();
            assertThat(hub.snapshot().values().get("stuck_slow_calls_total")).isGreaterThanOrEqualTo(1.0);
            assertThat(hub.alerts()).anyMatch(a -> a.metric().equals("stuck_slow_calls_total"));
        }
    }

    @Test
    void a_full_hub_queue_drops_events_instead_of_blocking() {
        CountDownLatch release = new CountDownLatch(1);
        Monitor stuck = new Counting("stuck") {
            @Override
            public void onInference(InferenceEvent event) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (MonitorHub hub = MonitorHub.builder().monitor(stuck).capacity(10).laneCapacity(10)
                .alertInterval(Duration.ZERO).build()) {
            for (int i = 0; i < 10_000; i++) {
                hub.onInference(Events.embed("id" + i, "x", 1000));
            }
            MonitorSnapshot s = hub.snapshot();
            assertThat(s.values().get("events_accepted_total") + s.values().get("events_dropped_total")).isEqualTo(10_000.0);
            assertThat(s.values().get("events_dropped_total")).isGreaterThan(9_000.0);
            release.countDown();
        }
    }

    @Test
    void feedback_reaches_monitors_joined_to_its_inference_even_for_one_item_of_a_batch() {
        Counting witness = new Counting("witness");
        try (MonitorHub hub = MonitorHub.builder().monitor(witness).recentInferences(2).alertInterval(Duration.ZERO).build()) {
            hub.onInference(Events.embed("a", "first", 1000));
            hub.onInference(Events.embed("b", "second", 1000));
            hub.feedback(Feedback.thumbsUp("a"));
            hub.feedback(Feedback.label("b#3", "1"));
            hub.onInference(Events.embed("c", "third", 1000));
            hub.onInference(Events.embed("d", "fourth", 1000));
            hub.feedback(Feedback.thumbsDown("a"));
            assertThat(hub.awaitIdle(Duration.ofSeconds(5))).isTrue();
            assertThat(witness.joined).containsExactly("a->first#0", "b#3->second#3", "a->none#0");
            assertThat(hub.snapshot().values().get("feedback_unmatched_total")).isEqualTo(1.0);
        }
    }

    @Test
    void an_alert_fires_once_when_a_value_crosses_and_again_after_it_recovers() {
        Counting witness = new Counting("witness");
        List<Alert> alerts = new CopyOnWriteArrayList<>();
        try (CapturedLog log = CapturedLog.of(MonitorHub.class);
                MonitorHub hub = MonitorHub.builder().monitor(witness).alert("witness/events_total > 2")
                .alertInterval(Duration.ZERO).defaultAlerts(false).alertListener(alerts::add)
                .alertListener(a -> {
                    throw new IllegalStateException("listener bug");
                }).build()) {
            hub.onInference(Events.embed("a", "x", 1));
            hub.awaitIdle(Duration.ofSeconds(5));
            assertThat(hub.checkAlerts()).isEmpty();
            for (int i = 0; i < 3; i++) {
                hub.onInference(Events.embed("b" + i, "x", 1));
            }
            hub.awaitIdle(Duration.ofSeconds(5));
            assertThat(hub.checkAlerts()).hasSize(1);
            assertThat(hub.checkAlerts()).isEmpty();
            witness.events.set(0);
            assertThat(hub.checkAlerts()).isEmpty();
            witness.events.set(10);
            assertThat(hub.checkAlerts()).hasSize(1);
            assertThat(alerts).hasSize(2);
            assertThat(alerts.get(0).value()).isEqualTo(4.0);
            assertThat(alerts.get(0).threshold()).isEqualTo(2.0);
            assertThat(alerts.get(0).message()).contains("witness/events_total", "above");
            assertThat(log.lines()).as("the failing listener is reported, and the others still heard the alert")
                    .filteredOn(l -> l.contains("listener bug")).hasSize(2);
        }
    }

    @Test
    void background_alert_checks_reach_listeners_without_being_asked() throws Exception {
        Counting witness = new Counting("witness");
        AtomicReference<Alert> seen = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        try (MonitorHub hub = MonitorHub.builder().monitor(witness).alert(AlertRule.above("witness", "events_total", 0))
                .alertInterval(Duration.ofMillis(20)).alertListener(a -> {
                    seen.set(a);
                    fired.countDown();
                }).build()) {
            hub.onInference(Events.embed("a", "x", 1));
            assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(seen.get().monitor()).isEqualTo("witness");
        }
    }

    @Test
    void service_loader_finds_the_built_in_monitors_built_with_their_settings() {
        MonitorConfig config = MonitorConfig.of(Map.of("disabled", "generation", "ux.latency_objective_seconds", "0.25"));
        try (MonitorHub hub = MonitorHub.builder().discover(config).alertInterval(Duration.ZERO).build()) {
            assertThat(hub.monitorNames()).containsExactlyInAnyOrder(LatencyMonitor.NAME, AccuracyMonitor.NAME,
                    DataDriftMonitor.NAME, BiasMonitor.NAME, UserExperienceMonitor.NAME);
            assertThat(hub.monitor(UserExperienceMonitor.class).orElseThrow().snapshot().values()
                    .get("latency_objective_seconds")).isEqualTo(0.25);
            assertThat(hub.rules()).extracting(AlertRule::toString).contains("bias/demographic_parity_ratio < 0.8",
                    "data_drift/dataset_drift > 0.5");
        }
    }

    @Test
    void a_misspelled_setting_is_an_error_naming_it_and_the_key_it_probably_meant() {
        MonitorConfig config = MonitorConfig.of(Map.of("accuracy.bukcet", "50"));
        assertThatThrownBy(() -> MonitorHub.builder().discover(config).alertInterval(Duration.ZERO).build())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("unknown monitor setting keel.monitor.accuracy.bukcet=50")
                .hasMessageContaining("did you mean keel.monitor.accuracy.bucket?");
        assertThatThrownBy(() -> MonitorHub.builder().discover(MonitorConfig.of(Map.of("no_such_monitor.size", "3")))
                .alertInterval(Duration.ZERO).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("keel.monitor.no_such_monitor.size")
                .hasMessageContaining("not installed");
    }

    @Test
    void a_setting_read_by_a_monitor_added_beside_the_discovered_ones_is_known() {
        MonitorConfig config = MonitorConfig.of(Map.of("custom.limit", "3"));
        Counting custom = new Counting("custom");
        assertThat(config.forMonitor("custom").integer("limit", 1)).isEqualTo(3);
        try (MonitorHub hub = MonitorHub.builder().discover(config).monitor(custom).alertInterval(Duration.ZERO)
                .build()) {
            assertThat(hub.monitorNames()).contains("custom");
        }
        assertThat(config.unreadKeys()).isEmpty();
    }

    @Test
    void bad_settings_and_rules_are_errors_that_name_the_key() {
        assertThatThrownBy(() -> MonitorHub.builder().discover(MonitorConfig.of(Map.of("ux.latency_objective_seconds", "fast"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("keel.monitor.ux.latency_objective_seconds");
        assertThatThrownBy(() -> AlertRule.parse("latency p99 too high")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("monitor/metric > number");
        assertThatThrownBy(() -> MonitorHub.builder().monitor(new Counting("x")).monitor(new Counting("x")).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("unique");
        assertThat(AlertRule.parse("latency/latency_total_p99_seconds>0.5"))
                .isEqualTo(AlertRule.above("latency", "latency_total_p99_seconds", 0.5));
    }
}
