package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.export.InferenceMeters;
import dev.keel.runtime.KeelRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What monitoring costs a caller: single-sentence MiniLM {@code embed} latency with every default monitor
 * plus the Micrometer meters on, against off, in one run on one session (two sessions of the same model
 * differ by more than the effect on a busy machine). A switch in front of the hub turns monitoring on for
 * every third call; the other two are unmonitored, and comparing those two with each other gives the noise
 * floor. The order rotates every call. Also times the listener call itself: the only part of monitoring
 * that runs on the caller's thread.
 *
 * <pre>
 * java -cp ... dev.keel.benchmarks.MonitoringOverheadBenchmark [shared/data] [calls] [threads] [model]
 * </pre>
 */
public final class MonitoringOverheadBenchmark {
    private MonitoringOverheadBenchmark() { }

    /** Forwards to the hub only while on, and times the forwarding. */
    private static final class Switch implements InferenceListener {
        private final MonitorHub hub;
        volatile boolean on;
        long lastNanos;

        Switch(MonitorHub hub) {
            this.hub = hub;
        }

        @Override
        public void onInference(InferenceEvent event) {
            if (on) {
                long t0 = System.nanoTime();
                hub.onInference(event);
                lastNanos = System.nanoTime() - t0;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "../shared/data");
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        String model = args.length > 3 ? args[3] : "builtin:all-minilm-l6-v2";
        List<String> sentences = Files.readAllLines(data.resolve("sst2/dev.tsv")).stream()
                .map(l -> l.substring(0, l.lastIndexOf('\t'))).toList();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MonitorHub hub = MonitorHub.builder().discover(MonitorConfig.fromSystemProperties())
                .monitor(new InferenceMeters(registry)).build()) {
            Switch monitoring = new Switch(hub);
            SessionOptions options = SessionOptions.builder().threads(threads).listener(monitoring).build();
            try (InferenceSession session = KeelRuntime.builder().build().open(ModelRef.parse(model), options)) {
                System.out.printf(Locale.ROOT, "model %s on %s (%s), %d threads requested; monitors on: %s%n", model,
                        session.info().backend(), session.info().device(), threads, hub.monitorNames());
                monitoring.on = true;
                for (int i = 0; i < 300; i++) {
                    session.embed(List.of(sentences.get(i % sentences.size())));
                }
                long[] on = new long[calls];
                long[] off = new long[calls];
                long[] control = new long[calls];
                long[] listener = new long[calls];
                for (int i = 0; i < calls; i++) {
                    String s = sentences.get(i % sentences.size());
                    for (int k = 0; k < 3; k++) {
                        switch ((i + k) % 3) {
                            case 0 -> {
                                monitoring.on = true;
                                on[i] = time(session, s);
                                listener[i] = monitoring.lastNanos;
                            }
                            case 1 -> {
                                monitoring.on = false;
                                off[i] = time(session, s);
                            }
                            default -> {
                                monitoring.on = false;
                                control[i] = time(session, s);
                            }
                        }
                    }
                }
                hub.awaitIdle(Duration.ofSeconds(30));
                double p50Off = pct(off, 50);
                double p50On = pct(on, 50);
                System.out.printf(Locale.ROOT, "%-16s %9s %9s %9s%n", "", "p50 ms", "p90 ms", "p99 ms");
                row("monitors off", off);
                row("monitors on", on);
                row("control (off)", control);
                System.out.printf(Locale.ROOT, "p50 on/off %.4f (%+.2f%%), median paired difference %+.3f ms%n",
                        p50On / p50Off, 100 * (p50On / p50Off - 1), pct(diff(on, off), 50) / 1e6);
                System.out.printf(Locale.ROOT, "noise floor: p50 control/off %.4f (%+.2f%%), median paired difference %+.3f ms%n",
                        pct(control, 50) / p50Off, 100 * (pct(control, 50) / p50Off - 1), pct(diff(control, off), 50) / 1e6);
                System.out.printf(Locale.ROOT, "listener call on the caller's thread: p50 %.2f us, p99 %.2f us, max %.2f us "
                        + "(%.4f%% of p50 off)%n", pct(listener, 50) / 1e3, pct(listener, 99) / 1e3, pct(listener, 100) / 1e3,
                        100 * pct(listener, 50) / p50Off);
                Map<String, Double> self = hub.snapshot().values();
                System.out.printf(Locale.ROOT, "hub: %.0f events accepted, %.0f dropped, %.0f monitor errors%n",
                        self.get("events_accepted_total"), self.get("events_dropped_total"), self.get("monitor_errors_total"));
            }
        }
    }

    private static void row(String name, long[] t) {
        System.out.printf(Locale.ROOT, "%-16s %9.3f %9.3f %9.3f%n", name, pct(t, 50) / 1e6, pct(t, 90) / 1e6, pct(t, 99) / 1e6);
    }

    private static long[] diff(long[] a, long[] b) {
        long[] d = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static long time(InferenceSession s, String text) {
        long t0 = System.nanoTime();
        s.embed(List.of(text));
        return System.nanoTime() - t0;
    }

    private static double pct(long[] values, double p) {
        long[] v = values.clone();
        Arrays.sort(v);
        int idx = (int) Math.min(v.length - 1, Math.max(0, Math.ceil(p / 100 * v.length) - 1));
        return v[idx];
    }
}
