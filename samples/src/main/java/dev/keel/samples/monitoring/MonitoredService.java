package dev.keel.samples.monitoring;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.builtin.BiasMonitor;
import dev.keel.monitors.builtin.CounterfactualProbe;
import dev.keel.monitors.builtin.EmbeddingDriftMonitor;
import dev.keel.monitors.export.InferenceMeters;
import dev.keel.monitors.export.MonitorReport;
import dev.keel.monitors.export.SnapshotGauges;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.Json;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small monitored text service on the JDK's HTTP server: sentence embeddings from a Keel session and a
 * sentiment classifier on top (a nearest-centroid head over the embeddings of a few seed sentences, or the
 * model's own {@code classify} when it was adapted for classification), with every default monitor, embedding
 * drift, Micrometer meters and a Prometheus scrape endpoint.
 *
 * <pre>
 * POST /embed           body: one text per line        -> {"id", "dimension", "vectors"}
 * POST /classify        body: one text per line        -> {"id", "predictions": [{"label", "confidence"}]}
 * POST /feedback?id=ID&amp;kind=thumbs_up|thumbs_down|label|correction|score|retry[&amp;value=V][&amp;score=S]
 * GET  /metrics         Prometheus text format
 * GET  /monitor         the monitor report as JSON (what {@code keel monitor} prints)
 * GET  /monitor.html    the same as a self-contained page
 * </pre>
 *
 * Run: {@code java -cp ... dev.keel.samples.monitoring.MonitoredService [--port 8080] [--model builtin:all-minilm-l6-v2]}.
 */
public final class MonitoredService implements AutoCloseable {
    /** Seed sentences for the nearest-centroid head when the model has no classifier of its own. */
    private static final List<String> POSITIVE = List.of("a wonderful , moving film .", "great acting and a clever story .",
            "one of the best movies of the year .", "funny , warm and charming .", "a beautiful and rewarding experience .",
            "i loved every minute of it .");
    private static final List<String> NEGATIVE = List.of("a dull , tedious mess .", "the plot makes no sense and the acting is bad .",
            "one of the worst films of the year .", "boring and far too long .", "an ugly , pointless movie .",
            "i hated every minute of it .");

    private final InferenceSession session;
    private final MonitorHub hub;
    private final PrometheusMeterRegistry registry;
    private final SnapshotGauges gauges;
    private final HttpServer server;
    private final ExecutorService executor;
    private final float[][] centroids;
    private final boolean ownClassifier;

    private MonitoredService(String model, String backend, int port) throws IOException {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MonitorConfig config = MonitorConfig.fromSystemProperties();
        AtomicReference<InferenceSession> ref = new AtomicReference<>();
        // embedding drift needs the session, which needs the hub: the monitor looks the session up when it runs
        hub = MonitorHub.builder().discover(config).monitor(new InferenceMeters(registry))
                .monitor(new EmbeddingDriftMonitor(config, texts -> ref.get().embed(texts).vectors())).build();
        KeelRuntime runtime = KeelRuntime.builder().backend(backend).monitors(hub).build();
        session = runtime.open(ModelRef.parse(model));
        ref.set(session);
        gauges = SnapshotGauges.bind(hub, registry);
        ownClassifier = canClassify(session);
        centroids = ownClassifier ? null : new float[][] {centroid(POSITIVE), centroid(NEGATIVE)};
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "keel-sample-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/embed", ex -> handle(ex, "POST", () -> embed(lines(ex))));
        server.createContext("/classify", ex -> handle(ex, "POST", () -> classify(lines(ex))));
        server.createContext("/feedback", ex -> handle(ex, "POST", () -> feedback(query(ex))));
        server.createContext("/metrics", ex -> {
            gauges.refresh();
            send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
        });
        server.createContext("/monitor.html", ex -> send(ex, 200, "text/html; charset=utf-8",
                MonitorReport.html(MonitorReport.of(hub), "Keel monitor report: " + model)));
        server.createContext("/monitor", ex -> send(ex, 200, "application/json",
                MonitorReport.json(MonitorReport.of(hub))));
        server.createContext("/", ex -> send(ex, 200, "text/plain; charset=utf-8",
                "Keel monitored sample: POST /embed, /classify, /feedback; GET /metrics, /monitor, /monitor.html\n"));
        server.start();
    }

    /** Starts the service; {@code port} 0 picks a free one. */
    public static MonitoredService start(String model, String backend, int port) throws IOException {
        return new MonitoredService(model, backend, port);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public MonitorHub hub() {
        return hub;
    }

    public InferenceSession session() {
        return session;
    }

    private static boolean canClassify(InferenceSession s) {
        try {
            s.classify(List.of("probe"));
            return true;
        } catch (dev.keel.api.UnsupportedCapabilityException e) {
            return false;
        }
    }

    private float[] centroid(List<String> texts) {
        float[][] v = session.embed(texts).vectors();
        float[] c = new float[v[0].length];
        for (float[] row : v) {
            for (int j = 0; j < c.length; j++) {
                c[j] += row[j] / v.length;
            }
        }
        return c;
    }

    private Map<String, Object> embed(List<String> texts) {
        EmbeddingResult r = session.embed(texts);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", r.inferenceId());
        out.put("dimension", r.dimension());
        out.put("vectors", r.vectors());
        return out;
    }

    private Map<String, Object> classify(List<String> texts) {
        List<Map<String, Object>> predictions = new ArrayList<>();
        String id;
        if (ownClassifier) {
            var r = session.classify(texts);
            id = r.inferenceId();
            r.predictions().forEach(p -> predictions.add(Map.of("label", p.label(), "confidence", p.confidence())));
        } else {
            long t0 = System.nanoTime();
            Instant start = Instant.now();
            EmbeddingResult r = session.embed(texts);
            id = r.inferenceId();
            List<String> labels = new ArrayList<>();
            List<Double> confidences = new ArrayList<>();
            for (float[] v : r.vectors()) {
                double pos = cosine(v, centroids[0]);
                double neg = cosine(v, centroids[1]);
                // a softmax over similarities; the temperature spreads MiniLM's narrow cosine range
                double p = 1 / (1 + Math.exp(-(pos - neg) * 20));
                labels.add(p >= 0.5 ? "1" : "0");
                confidences.add(Math.max(p, 1 - p));
                predictions.add(Map.of("label", p >= 0.5 ? "1" : "0", "confidence", Math.max(p, 1 - p)));
            }
            // the head is the host's own code, so the host reports the prediction; feedback on this id joins it
            hub.onInference(new InferenceEvent(id, start, Operation.CLASSIFY, session.info().version(), session.info().backend(),
                    session.info().device().toString(), 0, 0, System.nanoTime() - t0, texts, 0, 0, 0, labels,
                    confidences, null));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("predictions", predictions);
        return out;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb + 1e-12);
    }

    private Map<String, Object> feedback(Map<String, String> q) {
        String kind = q.getOrDefault("kind", "");
        Feedback.Kind k;
        try {
            k = Feedback.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("kind '" + kind + "' is not one of thumbs_up, thumbs_down, label, correction, "
                    + "score, retry");
        }
        double score = q.containsKey("score") ? Double.parseDouble(q.get("score")) : Double.NaN;
        boolean accepted = hub.feedback(new Feedback(q.get("id"), k, q.get("value"), score, null));
        return Map.of("accepted", accepted);
    }

    /** Runs the counterfactual probes against the classifier and shows them in the bias section. */
    public CounterfactualProbe.Result probeBias() {
        CounterfactualProbe.Result r = CounterfactualProbe.run(texts -> {
            List<dev.keel.api.infer.Prediction> out = new ArrayList<>();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> ps = (List<Map<String, Object>>) classify(texts).get("predictions");
            for (Map<String, Object> p : ps) {
                String label = (String) p.get("label");
                double c = (Double) p.get("confidence");
                out.add(new dev.keel.api.infer.Prediction(label, Integer.parseInt(label), c, null));
            }
            return out;
        }, CounterfactualProbe.DEFAULT_TEMPLATES, CounterfactualProbe.DEFAULT_TERMS, "1"::equals);
        hub.monitor(BiasMonitor.class).ifPresent(b -> b.recordProbe(r));
        return r;
    }

    private interface Body {
        Object get() throws IOException;
    }

    private static void handle(HttpExchange ex, String method, Body body) throws IOException {
        try {
            if (!ex.getRequestMethod().equalsIgnoreCase(method)) {
                send(ex, 405, "application/json", Json.compact(Map.of("error", "use " + method)));
                return;
            }
            send(ex, 200, "application/json", Json.compact(body.get()));
        } catch (InvalidInputException e) {
            send(ex, 400, "application/json", Json.compact(Map.of("error", e.getMessage())));
        } catch (KeelException | IllegalArgumentException e) {
            send(ex, 500, "application/json", Json.compact(Map.of("error", String.valueOf(e.getMessage()))));
        }
    }

    private static List<String> lines(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            List<String> out = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            if (out.isEmpty()) {
                throw new InvalidInputException("the request body has no text; send one text per line");
            }
            return out;
        }
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new LinkedHashMap<>();
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    out.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        session.close();
        hub.close();
        registry.close();
    }

    public static void main(String[] args) throws Exception {
        int port = 8080;
        String model = "builtin:all-minilm-l6-v2";
        String backend = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--model" -> model = args[i + 1];
                case "--backend" -> backend = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --port, --model, --backend");
            }
        }
        MonitoredService service = start(model, backend, port);
        Runtime.getRuntime().addShutdownHook(new Thread(service::close));
        System.out.println("serving " + model + " on http://127.0.0.1:" + service.port()
                + " (/embed /classify /feedback /metrics /monitor /monitor.html); keel monitor --url http://127.0.0.1:"
                + service.port() + "/monitor");
        Thread.currentThread().join();
    }
}
