package dev.keel.monitors;

import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.AlertListener;
import dev.keel.api.monitor.MonitorSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The hub's alert engine: evaluates the rules against snapshots, raises an alert when a value newly crosses
 * its limit (once, until it comes back), keeps the last {@value #LOG_LIMIT} alerts and tells the listeners.
 * A listener that throws is logged and skipped; the others still hear the alert.
 */
final class AlertEngine {
    static final int LOG_LIMIT = 200;
    private static final System.Logger LOG = System.getLogger(MonitorHub.class.getName());

    private volatile List<AlertRule> rules = List.of();
    private final Set<String> breached = ConcurrentHashMap.newKeySet();
    private final List<AlertListener> listeners;
    private final List<Alert> log = new CopyOnWriteArrayList<>();

    AlertEngine(Collection<AlertListener> listeners) {
        this.listeners = new CopyOnWriteArrayList<>(listeners);
    }

    void setRules(List<AlertRule> rules) {
        this.rules = List.copyOf(rules);
    }

    List<AlertRule> rules() {
        return rules;
    }

    /** The most recent alerts, oldest first. */
    List<Alert> alerts() {
        return List.copyOf(log);
    }

    void addListener(AlertListener listener) {
        listeners.add(listener);
    }

    /** Evaluates every rule on {@code snapshots}; returns the alerts this check raised (values that newly crossed). */
    List<Alert> check(List<MonitorSnapshot> snapshots) {
        Map<String, MonitorSnapshot> byMonitor = new LinkedHashMap<>();
        for (MonitorSnapshot s : snapshots) {
            byMonitor.put(s.monitor(), s);
        }
        List<Alert> raised = new ArrayList<>();
        for (AlertRule rule : rules) {
            MonitorSnapshot s = byMonitor.get(rule.monitor());
            Double value = s == null ? null : s.values().get(rule.metric());
            boolean now = value != null && rule.breached(value);
            if (now && breached.add(rule.toString())) {
                Alert a = new Alert(rule.monitor(), rule.metric(), value, rule.threshold(),
                        rule.monitor() + "/" + rule.metric() + " is " + format(value) + ", "
                                + (rule.above() ? "above" : "below") + " the limit " + format(rule.threshold()),
                        Instant.now());
                raised.add(a);
                publish(a);
            } else if (!now) {
                breached.remove(rule.toString());
            }
        }
        return raised;
    }

    /** Records an alert and tells every listener. */
    void publish(Alert alert) {
        log.add(alert);
        while (log.size() > LOG_LIMIT) {
            log.remove(0);
        }
        for (AlertListener l : listeners) {
            try {
                l.onAlert(alert);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "alert listener " + l + " failed: " + e);
            }
        }
    }

    static String format(double v) {
        return Math.abs(v) >= 1e-3 || v == 0 ? String.format(java.util.Locale.ROOT, "%.4g", v)
                : String.format(java.util.Locale.ROOT, "%.3e", v);
    }
}
