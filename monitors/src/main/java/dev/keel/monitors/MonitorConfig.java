package dev.keel.monitors;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Settings for monitors, as flat {@code monitor.key=value} pairs so that they fit system properties
 * ({@code -Dkeel.monitor.latency.objective_seconds=0.2}), a properties file or a map in code. A monitor reads
 * its own keys through {@link #forMonitor(String)}; missing keys fall back to the monitor's defaults, and a
 * value that does not parse is an error naming the key, never a silent default.
 */
public final class MonitorConfig {
    /** The prefix system properties carry. */
    public static final String PREFIX = "keel.monitor.";

    private final Map<String, String> values;
    private final String scope;

    private MonitorConfig(Map<String, String> values, String scope) {
        this.values = values;
        this.scope = scope;
    }

    public static MonitorConfig empty() {
        return of(Map.of());
    }

    public static MonitorConfig of(Map<String, String> values) {
        return new MonitorConfig(Map.copyOf(values), "");
    }

    /** The {@code keel.monitor.*} system properties, prefix removed. */
    public static MonitorConfig fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    public static MonitorConfig fromProperties(Properties properties) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(PREFIX)) {
                m.put(name.substring(PREFIX.length()), properties.getProperty(name));
            }
        }
        return of(m);
    }

    /** The same settings with {@code overrides} on top. */
    public MonitorConfig with(Map<String, String> overrides) {
        Map<String, String> m = new LinkedHashMap<>(values);
        overrides.forEach((k, v) -> m.put(scope + k, v));
        return new MonitorConfig(Map.copyOf(m), scope);
    }

    public MonitorConfig with(String key, Object value) {
        return with(Map.of(key, String.valueOf(value)));
    }

    /** A view in which {@code key} means {@code monitor.key}. */
    public MonitorConfig forMonitor(String monitor) {
        return new MonitorConfig(values, monitor + ".");
    }

    public String string(String key, String fallback) {
        String v = values.get(scope + key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    public double number(String key, double fallback) {
        String v = string(key, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("monitor setting " + PREFIX + scope + key + "='" + v
                    + "' is not a number; set it to a decimal such as " + fallback);
        }
    }

    public int integer(String key, int fallback) {
        double d = number(key, fallback);
        if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
            throw new InvalidInputException("monitor setting " + PREFIX + scope + key + "=" + d
                    + " must be a non-negative whole number such as " + fallback);
        }
        return (int) d;
    }

    public boolean flag(String key, boolean fallback) {
        String v = string(key, null);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new InvalidInputException("monitor setting " + PREFIX + scope + key + "='" + v
                + "' must be true or false");
    }

    /** A comma-separated list; empty when the key is absent. */
    public List<String> list(String key) {
        String v = string(key, null);
        return v == null ? List.of() : Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Override
    public String toString() {
        return "MonitorConfig" + values;
    }
}
