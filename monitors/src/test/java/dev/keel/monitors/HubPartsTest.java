package dev.keel.monitors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The hub's parts, each alone: the alert engine, a monitor lane, the recent-inference index and discovery. */
class HubPartsTest {
    private static MonitorSnapshot snapshot(String monitor, String metric, double value) {
        return new MonitorSnapshot(monitor, Instant.now(), Map.of(metric, value), Map.of());
    }

    @Nested
    class TheAlertEngine {
        @Test
        void raises_an_alert_once_when_a_value_crosses_and_again_only_after_it_came_back() {
            List<Alert> heard = new ArrayList<>();
            AlertEngine engine = new AlertEngine(List.of(heard::add));
            engine.setRules(List.of(AlertRule.below("accuracy", "accuracy", 0.8)));

            assertThat(engine.check(List.of(snapshot("accuracy", "accuracy", 0.9)))).isEmpty();
            List<Alert> first = engine.check(List.of(snapshot("accuracy", "accuracy", 0.7)));
            assertThat(first).singleElement().satisfies(a -> {
                assertThat(a.value()).isEqualTo(0.7);
                assertThat(a.message()).isEqualTo("accuracy/accuracy is 0.7000, below the limit 0.8000");
            });
            assertThat(engine.check(List.of(snapshot("accuracy", "accuracy", 0.6)))).as("still below: no repeat").isEmpty();
            engine.check(List.of(snapshot("accuracy", "accuracy", 0.85)));
            assertThat(engine.check(List.of(snapshot("accuracy", "accuracy", 0.5)))).hasSize(1);
            assertThat(heard).hasSize(2);
            assertThat(engine.alerts()).hasSize(2);
        }

        @Test
        void a_missing_monitor_or_metric_raises_nothing_and_a_throwing_listener_does_not_silence_the_others() {
            List<Alert> heard = new ArrayList<>();
            AlertEngine engine = new AlertEngine(List.of(a -> {
                throw new IllegalStateException("listener bug");
            }, heard::add));
            engine.setRules(List.of(AlertRule.above("latency", "p99_seconds", 1)));
            assertThat(engine.check(List.of(snapshot("other", "p99_seconds", 5)))).isEmpty();
            assertThat(engine.check(List.of(snapshot("latency", "p50_seconds", 5)))).isEmpty();
            try (CapturedLog log = CapturedLog.of(MonitorHub.class)) {
                assertThat(engine.check(List.of(snapshot("latency", "p99_seconds", 5)))).hasSize(1);
            }
            assertThat(heard).hasSize(1);
        }

        @Test
        void keeps_only_the_latest_alerts() {
            AlertEngine engine = new AlertEngine(List.of());
            for (int i = 0; i < AlertEngine.LOG_LIMIT + 5; i++) {
                engine.publish(new Alert("m", "x", i, 0, "alert " + i, Instant.now()));
            }
            assertThat(engine.alerts()).hasSize(AlertEngine.LOG_LIMIT);
            assertThat(engine.alerts().get(0).message()).isEqualTo("alert 5");
        }
    }

    @Nested
    class TheRecentInferenceIndex {
        @Test
        void finds_calls_by_id_and_forgets_the_oldest_beyond_its_capacity() {
            RecentInferences recent = new RecentInferences(2);
            recent.put(Events.embed("a", "one", 1000));
            recent.put(Events.embed("b", "two", 1000));
            recent.put(Events.embed("c", "three", 1000));
            assertThat(recent.get("a")).isNull();
            assertThat(recent.get("b").inputs()).containsExactly("two");
            assertThat(recent.get("c")).isNotNull();
        }
    }

    @Nested
    class AMonitorLane {
        @Test
        void delivers_events_and_joined_feedback_counts_them_and_isolates_a_throwing_monitor() throws Exception {
            List<Object> seen = new CopyOnWriteArrayList<>();
            List<Alert> published = new CopyOnWriteArrayList<>();
            Monitor m = new Monitor() {
                @Override
                public String name() {
                    return "probe";
                }

                @Override
                public void onInference(InferenceEvent event) {
                    if (event.id().equals("bad")) {
                        throw new IllegalStateException("monitor bug");
                    }
                    seen.add(event.id());
                }

                @Override
                public void onFeedback(Feedback feedback) {
                    seen.add("feedback " + feedback.inferenceId());
                }

                @Override
                public MonitorSnapshot snapshot() {
                    return new MonitorSnapshot(name(), Instant.now(), Map.of(), Map.of());
                }
            };
            MonitorLane lane = new MonitorLane(m, 16, Duration.ofSeconds(10).toNanos(), published::add);
            try (CapturedLog log = CapturedLog.of(MonitorHub.class)) {
                lane.start();
                lane.offer(Events.embed("ok", "x", 1000));
                lane.offer(Events.embed("bad", "y", 1000));
                lane.offer(new JoinedFeedback(Feedback.thumbsUp("ok"), null, -1));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (lane.processed.get() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            } finally {
                lane.stop();
            }
            assertThat(seen).containsExactly("ok", "feedback ok");
            assertThat(lane.processed.get()).isEqualTo(3);
            assertThat(lane.errors.sum()).isEqualTo(1);
            assertThat(lane.lastError).isEqualTo("IllegalStateException: monitor bug");
            assertThat(published).singleElement().satisfies(a -> assertThat(a.metric()).isEqualTo("probe_errors_total"));
        }
    }

    @Nested
    class Discovery {
        @Test
        void builds_the_listed_monitors_with_their_settings_and_leaves_out_the_disabled() {
            Map<String, String> errors = new LinkedHashMap<>();
            List<Monitor> all = MonitorDiscovery.discover(ServiceLoader.load(Monitor.class), MonitorConfig.empty(),
                    errors);
            assertThat(all).extracting(Monitor::name).contains("latency", "accuracy");
            String first = all.get(0).name();
            List<Monitor> fewer = MonitorDiscovery.discover(ServiceLoader.load(Monitor.class),
                    MonitorConfig.of(Map.of("disabled", first)), new LinkedHashMap<>());
            assertThat(fewer).extracting(Monitor::name).doesNotContain(first).hasSize(all.size() - 1);
        }

        @Test
        void a_bad_setting_is_an_error_naming_it() {
            assertThatThrownBy(() -> MonitorDiscovery.discover(ServiceLoader.load(Monitor.class),
                    MonitorConfig.of(Map.of("accuracy.window", "many")), new LinkedHashMap<>()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("accuracy.window");
        }
    }
}
