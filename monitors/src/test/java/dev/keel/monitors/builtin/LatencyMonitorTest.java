package dev.keel.monitors.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.monitors.Events;
import dev.keel.monitors.MonitorConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyMonitorTest {

    @Test
    void percentiles_of_one_to_a_thousand_milliseconds_are_within_one_percent() {
        LatencyMonitor m = new LatencyMonitor(MonitorConfig.empty());
        for (int ms = 1; ms <= 1000; ms++) {
            m.onInference(Events.embed("e" + ms, "x", ms * 1_000_000L));
        }
        m.onInference(Events.failed("bad"));
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("latency_total_p50_seconds")).isCloseTo(0.5, within(0.005));
        assertThat(v.get("latency_total_p95_seconds")).isCloseTo(0.95, within(0.0095));
        assertThat(v.get("latency_total_p99_seconds")).isCloseTo(0.99, within(0.0099));
        assertThat(v.get("latency_total_max_seconds")).isCloseTo(1.0, within(0.01));
        assertThat(v.get("latency_compute_p50_seconds")).isCloseTo(0.5, within(0.005));
        assertThat(v.get("requests_total")).isEqualTo(1001.0);
        assertThat(v.get("errors_total")).isEqualTo(1.0);
        assertThat(v.get("error_rate")).isCloseTo(1 / 1001.0, within(1e-12));
        assertThat(v.get("throughput_requests_per_second")).isPositive();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> buckets = (List<Map<String, Object>>) m.snapshot().details().get("histogram_total_seconds");
        assertThat(buckets.stream().mapToLong(b -> (Long) b.get("count")).sum()).isEqualTo(1000);
    }

    @Test
    void generation_reports_time_to_first_token_and_time_per_output_token() {
        LatencyMonitor m = new LatencyMonitor(MonitorConfig.empty());
        // 11 tokens: first after 50 ms, the other 10 in 100 ms, so 10 ms each
        m.onInference(Events.generate("g", "ROMEO:", "text", 11, 50_000_000L, 150_000_000L));
        Map<String, Double> v = m.snapshot().values();
        assertThat(v.get("time_to_first_token_p50_seconds")).isCloseTo(0.05, within(0.0005));
        assertThat(v.get("time_per_output_token_p50_seconds")).isCloseTo(0.01, within(0.0001));
        assertThat(v.get("output_tokens_total")).isEqualTo(11.0);
    }

    @Test
    void an_empty_monitor_reports_not_a_number_rather_than_zero_latency() {
        Map<String, Double> v = new LatencyMonitor(MonitorConfig.empty()).snapshot().values();
        assertThat(v.get("latency_total_p99_seconds")).isNaN();
        assertThat(v.get("error_rate")).isNaN();
    }
}
