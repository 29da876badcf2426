package dev.keel.monitors.export;

import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorHub;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Publishes every monitor snapshot value as a Micrometer meter, so drift scores, accuracy and bias ratios
 * are scraped like latency. {@code latency/latency_total_p99_seconds} becomes the gauge
 * {@code keel.latency.total.p99.seconds} ({@code keel_latency_total_p99_seconds} in Prometheus); values named
 * {@code *_total} become counters. Snapshots are read at most once per {@code maxAgeMillis} whatever the
 * number of meters, and {@link #refresh()} (call it before a scrape) registers values that appeared since.
 */
public final class SnapshotGauges {
    private final MonitorHub hub;
    private final MeterRegistry registry;
    private final long maxAgeNanos;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    /** Micrometer holds gauge state weakly; without these references the values would read NaN after a GC. */
    private final List<Supplier<Double>> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Map<String, Map<String, Double>> latest = Map.of();
    private volatile long readAt;

    private SnapshotGauges(MonitorHub hub, MeterRegistry registry, long maxAgeMillis) {
        this.hub = hub;
        this.registry = registry;
        this.maxAgeNanos = maxAgeMillis * 1_000_000L;
    }

    public static SnapshotGauges bind(MonitorHub hub, MeterRegistry registry) {
        SnapshotGauges g = new SnapshotGauges(hub, registry, 1000);
        g.refresh();
        return g;
    }

    /** The meter name for a snapshot value. */
    public static String meterName(String monitor, String metric) {
        String m = metric.startsWith(monitor + "_") ? metric.substring(monitor.length() + 1) : metric;
        if (m.endsWith("_total")) {
            m = m.substring(0, m.length() - "_total".length());
        }
        return ("keel." + monitor + "." + m).replace('_', '.');
    }

    /** Reads fresh snapshots and registers meters for values not seen before. */
    public synchronized void refresh() {
        read(true);
        for (Map.Entry<String, Map<String, Double>> s : latest.entrySet()) {
            for (String metric : s.getValue().keySet()) {
                String key = s.getKey() + "/" + metric;
                if (!registered.add(key)) {
                    continue;
                }
                String monitor = s.getKey();
                Supplier<Double> value = () -> read(false).getOrDefault(monitor, Map.of()).getOrDefault(metric, Double.NaN);
                held.add(value);
                String name = meterName(monitor, metric);
                if (metric.endsWith("_total")) {
                    FunctionCounter.builder(name, value, v -> {
                        Double d = v.get();
                        return d == null || d.isNaN() ? 0 : d;
                    }).description(monitor + " " + metric).register(registry);
                } else {
                    Gauge.builder(name, value, v -> {
                        Double d = v.get();
                        return d == null ? Double.NaN : d;
                    }).description(monitor + " " + metric).register(registry);
                }
            }
        }
    }

    private Map<String, Map<String, Double>> read(boolean force) {
        long now = System.nanoTime();
        if (force || now - readAt > maxAgeNanos) {
            List<MonitorSnapshot> snaps = hub.snapshots();
            Map<String, Map<String, Double>> m = new ConcurrentHashMap<>();
            for (MonitorSnapshot s : snaps) {
                m.put(s.monitor(), s.values());
            }
            latest = m;
            readAt = now;
        }
        return latest;
    }
}
