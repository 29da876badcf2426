package dev.keel.monitors;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Settings for monitors, as flat {@code monitor.key=value} pairs so that they fit system properties
 * ({@code -Dkeel.monitor.latency.objective_seconds=0.2}), a properties file or a map in code. A monitor reads
 * its own keys through {@link #forMonitor(String)}; missing keys fall back to the monitor's defaults, and a
 * value that does not parse is an error naming the key, never a silent default.
 *
 * <p>A key nobody reads is an error too: a misspelled {@code keel.monitor.accuracy.bukcet} would otherwise leave
 * the default in force without a word. Every view of one configuration records the keys monitors read, and
 * {@link MonitorHub.Builder#build()} refuses a configuration it discovered monitors with when some of its keys
 * were never read ({@link #unreadKeys()}, {@link #requireAllRead()}), naming the closest key a monitor did read.
 */
public final class MonitorConfig {
    /** The prefix system properties carry. */
    public static final String PREFIX = "keel.monitor.";

    private final Map<String, String> values;
    private final String scope;
    /** Every key (with its monitor's scope) any view of these settings was asked for, read or defaulted. */
    private final Set<String> asked;

    private MonitorConfig(Map<String, String> values, String scope, Set<String> asked) {
        this.values = values;
        this.scope = scope;
        this.asked = asked;
    }

    public static MonitorConfig empty() {
        return of(Map.of());
    }

    public static MonitorConfig of(Map<String, String> values) {
        return new MonitorConfig(Map.copyOf(values), "", ConcurrentHashMap.newKeySet());
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
        return new MonitorConfig(Map.copyOf(m), scope, asked);
    }

    public MonitorConfig with(String key, Object value) {
        return with(Map.of(key, String.valueOf(value)));
    }

    /** A view in which {@code key} means {@code monitor.key}. */
    public MonitorConfig forMonitor(String monitor) {
        return new MonitorConfig(values, monitor + ".", asked);
    }

    public String string(String key, String fallback) {
        asked.add(scope + key);
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

    /** The keys set here that no monitor has asked for (yet), in name order, without the prefix. */
    public List<String> unreadKeys() {
        return values.keySet().stream().filter(k -> !asked.contains(k)).sorted().toList();
    }

    /**
     * Fails when a key is set that no monitor read: a misspelling, or a setting of a monitor that is not there.
     *
     * @throws InvalidInputException naming each such key, the closest key a monitor did read, and every key read
     */
    public void requireAllRead() {
        List<String> unread = unreadKeys();
        if (unread.isEmpty()) {
            return;
        }
        List<String> known = asked.stream().sorted().toList();
        StringBuilder m = new StringBuilder();
        for (String k : unread) {
            m.append(m.length() == 0 ? "" : "; ").append("unknown monitor setting ").append(PREFIX).append(k)
                    .append('=').append(values.get(k));
            closest(k, known).ifPresent(c -> m.append(" (did you mean ").append(PREFIX).append(c).append("?)"));
        }
        m.append(". No monitor reads ").append(unread.size() == 1 ? "it" : "them").append("; the monitors here read: ")
                .append(known.isEmpty() ? "nothing" : String.join(", ", known))
                .append(". Fix the spelling, or remove settings of monitors that are not installed");
        throw new InvalidInputException(m.toString());
    }

    /** The known key nearest to {@code key} by edit distance, if it is near enough to be a likely misspelling. */
    private static java.util.Optional<String> closest(String key, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 4) ? java.util.Optional.of(best)
                : java.util.Optional.empty();
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    @Override
    public String toString() {
        return "MonitorConfig" + values;
    }
}
