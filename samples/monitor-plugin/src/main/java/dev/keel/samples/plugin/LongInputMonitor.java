package dev.keel.samples.plugin;

import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorConfig;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts inputs longer than {@code keel.monitor.long_inputs.max_chars} characters (default 500): texts a model cuts
 * to its context, whose answers are about less than the user wrote. Thread-safe and bounded (three counters), as
 * the hub requires; it runs on the hub's thread, never on the caller's.
 */
public final class LongInputMonitor implements Monitor {
    /** The name in snapshots, reports and {@code keel.monitor.disabled}; also the prefix of its settings. */
    public static final String NAME = "long_inputs";

    private final int maxChars;
    private final LongAdder calls = new LongAdder();
    private final LongAdder inputs = new LongAdder();
    private final LongAdder longInputs = new LongAdder();

    /** ServiceLoader needs a public no-argument constructor; this one reads the {@code keel.monitor.*} properties. */
    public LongInputMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    /** The hub builds the monitor with this one when it exists, passing its settings. */
    public LongInputMonitor(MonitorConfig config) {
        this.maxChars = config.forMonitor(NAME).integer("max_chars", 500);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void onInference(InferenceEvent event) {
        calls.increment();
        for (String text : event.inputs()) {
            inputs.increment();
            if (text.length() > maxChars) {
                longInputs.increment();
            }
        }
    }

    @Override
    public MonitorSnapshot snapshot() {
        long n = inputs.sum();
        long longOnes = longInputs.sum();
        return new MonitorSnapshot(NAME, Instant.now(), Map.of("calls_total", (double) calls.sum(),
                "inputs_total", (double) n, "long_inputs_total", (double) longOnes,
                "long_input_share", n == 0 ? 0.0 : longOnes / (double) n, "max_chars", (double) maxChars), Map.of());
    }
}
