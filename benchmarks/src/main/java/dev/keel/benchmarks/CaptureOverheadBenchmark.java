package dev.keel.benchmarks;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStats;
import dev.keel.api.iterate.CaptureStore;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.registry.CaptureStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the inference log costs a caller: single-sentence MiniLM {@code embed} latency with every call captured
 * into a durable store (SQLite by default, written by the log's own thread in batches), against off, by the
 * method of {@link MonitoringOverheadBenchmark} ({@link ListenerOverhead}: every third call captured, the order
 * rotating), and checks at the end that every captured call was written and none dropped.
 *
 * <pre>
 * bin/bench CaptureOverheadBenchmark [shared/data] [calls] [threads] [store]
 * </pre>
 * {@code store} is a folder, an SQLite file or a JDBC URL (default: a new SQLite file in a temporary folder).
 */
public final class CaptureOverheadBenchmark {
    private CaptureOverheadBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "../shared/data");
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Path tmp = Files.createTempDirectory("keel-capture-overhead");
        String location = args.length > 3 ? args[3] : tmp.resolve("capture.db").toString();
        List<String> sentences = Files.readAllLines(data.resolve("sst2/dev.tsv")).stream()
                .map(l -> l.substring(0, l.lastIndexOf('\t'))).toList();
        String model = "builtin:all-minilm-l6-v2";
        try (CaptureStore capture = CaptureStores.open(location, CaptureOptions.defaults())) {
            ListenerOverhead.Switch capturing = new ListenerOverhead.Switch(capture.listener("all-minilm-l6-v2", null));
            SessionOptions options = SessionOptions.builder().threads(threads).listener(capturing).build();
            try (KeelRuntime keel = KeelRuntime.builder().build();
                 InferenceSession session = keel.open(ModelRef.parse(model), options)) {
                System.out.printf(Locale.ROOT, "model %s on %s (%s), %d threads requested; capture store %s%n", model,
                        session.info().backend(), session.info().device(), threads, capture.location());
                ListenerOverhead.Timings t = ListenerOverhead.measure(session, capturing, sentences, calls);
                boolean flushed = capture.flush(Duration.ofSeconds(60));
                ListenerOverhead.print(t, "capture");
                CaptureStats st = capture.stats();
                System.out.printf(Locale.ROOT, "log: %d accepted, %d written, %d dropped, %d lost, flushed %s%n",
                        st.accepted(), st.written(), st.dropped(), st.lost(), flushed);
            }
        } finally {
            dev.keel.spi.checkpoint.AtomicFiles.deleteTree(tmp);
        }
    }
}
