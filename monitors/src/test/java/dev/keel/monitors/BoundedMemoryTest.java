package dev.keel.monitors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BoundedMemoryTest {

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void a_million_events_through_every_default_monitor_keep_memory_bounded_and_take_seconds() {
        String[] texts = {"a gripping , funny film", "the plot is thin and the acting wooden",
            "one of the year 's best", "tedious", "she is a wonderful lead", "he never finds the tone"};
        List<String> labels = List.of("0", "1");
        // events are built up front so that the figure is the hub's, not the test's allocation
        InferenceEvent[] pool = new InferenceEvent[4096];
        Feedback[] feedback = new Feedback[pool.length];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = event(i, texts, labels);
            feedback[i] = Feedback.label("e" + i, labels.get(i % 2));
        }
        try (MonitorHub hub = MonitorHub.builder().discover(MonitorConfig.empty()).recentInferences(10_000)
                .alertInterval(Duration.ZERO).build()) {
            // warm up so that windows, histograms and references are allocated before the baseline
            for (int i = 0; i < 20_000; i++) {
                hub.onInference(pool[i & 4095]);
            }
            hub.awaitIdle(Duration.ofSeconds(30));
            long before = usedHeap();
            long t0 = System.nanoTime();
            int n = 1_000_000;
            for (int i = 0; i < n; i++) {
                // a producer faster than the monitors would only measure dropping; pace it so that every
                // event reaches every monitor
                while ((i & 255) == 0 && hub.backlog() > 8_192) {
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
                hub.onInference(pool[i & 4095]);
                if (i % 10 == 0) {
                    hub.feedback(feedback[i & 4095]);
                }
            }
            double callerSeconds = (System.nanoTime() - t0) / 1e9;
            assertThat(hub.awaitIdle(Duration.ofSeconds(60))).isTrue();
            double seconds = (System.nanoTime() - t0) / 1e9;
            hub.snapshots();
            long grown = usedHeap() - before;
            Map<String, Double> self = hub.snapshot().values();
            System.out.printf("1M events: caller %.2f s, drained %.2f s, heap grew %.1f MB, dropped %.0f%n",
                    callerSeconds, seconds, grown / 1e6, self.get("events_dropped_total"));
            assertThat(self.get("events_accepted_total") + self.get("events_dropped_total"))
                    .isEqualTo(20_000 + n + n / 10.0);
            assertThat(grown).isLessThan(64L << 20);
            assertThat(self.get("events_dropped_total")).isZero();
            // a few seconds on an idle 2-core machine; the limit leaves room for a shared one
            assertThat(seconds).isLessThan(30);
            assertThat(self.get("monitor_errors_total")).isZero();
        }
    }

    private static InferenceEvent event(int i, String[] texts, List<String> labels) {
        String text = texts[i % texts.length];
        return new InferenceEvent("e" + i, Instant.now(), Operation.CLASSIFY, "v1", "test", "cpu", 20_000, 1_000,
                3_000_000 + (i % 97) * 10_000, List.of(text), 8, 0, 0, List.of(labels.get((i / 3) % 2)),
                List.of(0.6 + (i % 40) / 100.0), null);
    }
}
