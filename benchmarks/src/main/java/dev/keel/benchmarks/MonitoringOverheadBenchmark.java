package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.export.InferenceMeters;
import dev.keel.runtime.KeelRuntime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
            ListenerOverhead.Switch monitoring = new ListenerOverhead.Switch(hub);
            SessionOptions options = SessionOptions.builder().threads(threads).listener(monitoring).build();
            try (InferenceSession session = KeelRuntime.builder().build().open(ModelRef.parse(model), options)) {
                System.out.printf(Locale.ROOT, "model %s on %s (%s), %d threads requested; monitors on: %s%n", model,
                        session.info().backend(), session.info().device(), threads, hub.monitorNames());
                ListenerOverhead.Timings t = ListenerOverhead.measure(session, monitoring, sentences, calls);
                hub.awaitIdle(Duration.ofSeconds(30));
                ListenerOverhead.print(t, "monitors");
                Map<String, Double> self = hub.snapshot().values();
                System.out.printf(Locale.ROOT, "hub: %.0f events accepted, %.0f dropped, %.0f monitor errors%n",
                        self.get("events_accepted_total"), self.get("events_dropped_total"), self.get("monitor_errors_total"));
            }
        }
    }
}
