package dev.keel.api.monitor;

import static org.apiguardian.api.API.Status.STABLE;

import java.time.Instant;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * A monitor's current figures, named in base units (for example {@code latency_p99_seconds}).
 *
 * @param monitor the monitor's name
 * @param taken   when the figures were read
 * @param values  the figures
 * @param details structured extras for reports (tables, histograms); may be empty
 */
@API(status = STABLE, since = "0.1")
public record MonitorSnapshot(String monitor, Instant taken, Map<String, Double> values, Map<String, Object> details) {
    public MonitorSnapshot {
        values = values == null ? Map.of() : Map.copyOf(values);
        details = details == null ? Map.of() : Map.copyOf(details);
    }
}
