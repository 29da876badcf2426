package dev.keel.server;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.monitor.Feedback;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.export.InferenceMeters;
import dev.keel.monitors.export.SnapshotGauges;
import dev.keel.runtime.KeelRuntime;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code keel serve} as a library: an HTTP inference server over a {@link KeelRuntime}, speaking OpenAI's API
 * (so existing clients work by pointing their base URL at it) and Keel's own ({@code /v1/classify},
 * {@code /v1/feedback}, {@code /metrics}, {@code /monitor}, health). Models open through
 * {@link KeelRuntime#open}, so any engine and any reference the runtime understands are served the same
 * way; generation is continuously batched on every backend whose sessions decode sequences together.
 *
 * <pre>{@code
 * try (KeelServer server = KeelServer.builder().model("minilm", "builtin:all-minilm-l6-v2").port(0).start()) {
 *     System.out.println(server.url());          // http://127.0.0.1:PORT
 *     ...
 * }                                              // drains in-flight requests, then stops
 * }</pre>
 */
public final class KeelServer implements AutoCloseable {
    private final Builder config;
    private final KeelRuntime runtime;
    private final MonitorHub hub;
    private final boolean ownHub;
    private final boolean ownRuntime;
    private final PrometheusMeterRegistry registry;
    private final SnapshotGauges gauges;
    private final Map<String, ServedModel> models;
    private final Server jetty;
    private final ServerConnector connector;
    private final ExecutorService choices;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final long startedAt = System.currentTimeMillis() / 1000;
    private volatile boolean ready;
    private volatile boolean draining;
    private boolean closed;

    private KeelServer(Builder b) {
        this.config = b;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        KeelRuntime rt = b.runtime;
        MonitorHub h = rt != null ? rt.monitors().orElse(null) : null;
        boolean own = false;
        if (rt == null) {
            KeelRuntime.Builder rb = KeelRuntime.builder().backend(b.backend).device(b.device);
            if (b.registry != null) {
                rb.registry(b.registry);
            }
            if (b.capture != null) {
                rb.capture(b.capture, b.captureOptions);
            }
            if (b.monitors) {
                h = MonitorHub.builder().discover(MonitorConfig.fromSystemProperties())
                        .monitor(new InferenceMeters(registry)).build();
                own = true;
                rb.monitors(h);
            } else {
                rb.listener(new InferenceMeters(registry)::onInference);
            }
            rt = rb.build();
        }
        this.ownRuntime = b.runtime == null;
        this.runtime = rt;
        this.hub = h;
        this.ownHub = own;
        this.gauges = h == null ? null : SnapshotGauges.bind(h, registry);
        this.choices = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "keel-serve-choice");
            t.setDaemon(true);
            return t;
        });
        Map<String, ServedModel> opened = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : b.models.entrySet()) {
                opened.put(e.getKey(), ServedModel.open(runtime, e.getKey(), e.getValue(), b.maxQueue, b.maxBatch,
                        b.threads));
            }
        } catch (RuntimeException e) {
            opened.values().forEach(ServedModel::close);
            closeMonitoring();
            throw e;
        }
        this.models = opened;
        for (ServedModel m : models.values()) {
            Gauge.builder("keel.server.in_flight", m, ServedModel::inFlight).tag("model", m.name)
                    .description("requests admitted and not yet answered").register(registry);
            if (m.batched()) {
                Gauge.builder("keel.server.decode.running", m, x -> x.decoder().running()).tag("model", m.name)
                        .description("generations in the continuous batch").register(registry);
                Gauge.builder("keel.server.decode.waiting", m, x -> x.decoder().waiting()).tag("model", m.name)
                        .description("generations waiting to join the batch").register(registry);
            }
        }
        QueuedThreadPool threads = new QueuedThreadPool(Math.max(32, b.maxQueue * models.size() + 16), 4);
        threads.setName("keel-serve-http");
        threads.setDaemon(true);
        this.jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        if (b.keystore != null) {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(b.keystore.toAbsolutePath().toString());
            ssl.setKeyStorePassword(b.keystorePassword);
            this.connector = new ServerConnector(jetty, ssl, new HttpConnectionFactory(http));
        } else {
            this.connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        }
        connector.setHost(b.host);
        connector.setPort(b.port);
        jetty.addConnector(connector);
        jetty.setHandler(new HttpApi(this));
        jetty.setStopTimeout(b.drainTimeout.toMillis());
    }

    public static Builder builder() {
        return new Builder();
    }

    private KeelServer startJetty() {
        try {
            jetty.start();
        } catch (Exception e) {
            close();
            throw new KeelException("cannot listen on " + config.host + ":" + config.port + ": " + e.getMessage()
                    + "; pick a free port (--port, or 0 for any)", e);
        }
        ready = true;
        return this;
    }

    /** The address clients call, such as {@code http://127.0.0.1:8080}. */
    public String url() {
        String host = config.host.equals("0.0.0.0") ? "127.0.0.1" : config.host;
        return (config.keystore != null ? "https" : "http") + "://" + host + ":" + port();
    }

    public int port() {
        return connector.getLocalPort();
    }

    public List<String> modelNames() {
        return new ArrayList<>(models.keySet());
    }

    /** Loaded, warmed up, listening and not draining. */
    public boolean ready() {
        return ready && !draining;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * The session serving {@code name}, for a host that also calls the model in-process (sharing its weights
     * with the server instead of loading it twice). The server owns and closes it.
     */
    public dev.keel.api.infer.InferenceSession session(String name) {
        ServedModel m = models.get(name);
        if (m == null) {
            throw new InvalidInputException("no model named '" + name + "' is served; served: " + models.keySet());
        }
        return m.session;
    }

    /** The runtime the models run on (its monitor hub, if any, gets every inference event). */
    public KeelRuntime runtime() {
        return runtime;
    }

    ServedModel model(String name) {
        ServedModel m = models.get(name);
        if (m == null) {
            throw ApiException.notFound("model_not_found", "the model '" + name + "' does not exist here; served: "
                    + models.keySet());
        }
        return m;
    }

    MonitorHub hub() {
        if (hub == null) {
            throw new InvalidInputException("this server's runtime has no monitor hub; build the runtime with "
                    + "KeelRuntime.builder().monitors(...) to get /monitor and /v1/feedback");
        }
        return hub;
    }

    boolean feedback(Feedback f) {
        return runtime.feedback(f);
    }

    long startedAt() {
        return startedAt;
    }

    ApiKeys keys() {
        return config.keys;
    }

    /** Nanoseconds a stream's queued events may wait for more before they are written together. */
    long streamIntervalNanos() {
        return config.streamInterval.toNanos();
    }

    long maxRequestBytes() {
        return config.maxRequestBytes;
    }

    int maxTokensLimit() {
        return config.maxTokensLimit;
    }

    int defaultMaxTokens() {
        return config.defaultMaxTokens;
    }

    ExecutorService choicePool() {
        return choices;
    }

    /** Counts a request in; false while draining (the request is refused with 503). */
    boolean enter() {
        inFlight.incrementAndGet();
        if (draining) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void leave() {
        inFlight.decrementAndGet();
    }

    void count(String endpoint, String status) {
        Counter.builder("keel.server.requests").tag("endpoint", endpoint).tag("status", status)
                .description("HTTP requests answered").register(registry).increment();
    }

    String scrape() {
        if (gauges != null) {
            gauges.refresh();
        }
        return registry.scrape();
    }

    /**
     * Stops taking requests (new ones get 503, {@code /health/ready} says draining), waits up to
     * {@code deadline} for those in flight to finish, then stops listening and closes the models. Returns
     * whether every request finished in time.
     */
    public synchronized boolean drain(Duration deadline) {
        if (closed) {
            return true;
        }
        draining = true;
        long end = System.nanoTime() + deadline.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean clean = inFlight.get() == 0;
        closed = true;
        try {
            jetty.stop();
        } catch (Exception e) {
            // stopping failed part-way; the models are closed below all the same
        }
        choices.shutdownNow();
        models.values().forEach(ServedModel::close);
        closeMonitoring();
        return clean;
    }

    private void closeMonitoring() {
        registry.close();
        try {
            if (ownRuntime) {
                runtime.close(); // writes what the inference log still queues, and closes its store
            }
        } finally {
            if (ownHub && hub != null) {
                hub.close();
            }
        }
    }

    /** {@link #drain} with the configured deadline. */
    @Override
    public void close() {
        drain(config.drainTimeout);
    }

    /** How to serve: models, address, limits, keys, TLS. {@link #start()} checks and starts. */
    public static final class Builder {
        private final Map<String, String> models = new LinkedHashMap<>();
        private KeelRuntime runtime;
        private String backend;
        private dev.keel.api.Device device = dev.keel.api.Device.cpu();
        private String host = "127.0.0.1";
        private int port = 8080;
        private int maxQueue = 64;
        private int maxBatch = 32;
        private int threads;
        private long maxRequestBytes = 1 << 20;
        private int maxTokensLimit = 1024;
        private int defaultMaxTokens = 16;
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration streamInterval = Duration.ofMillis(10);
        private ApiKeys keys = ApiKeys.none();
        private boolean monitors = true;
        private String registry;
        private String capture;
        private dev.keel.api.iterate.CaptureOptions captureOptions = dev.keel.api.iterate.CaptureOptions.defaults();
        private Path keystore;
        private String keystorePassword;

        /** Serves the model {@code reference} (a folder, {@code builtin:NAME}, or any ref the runtime opens) as {@code name}. */
        public Builder model(String name, String reference) {
            if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._:/-]*")) {
                throw new InvalidInputException("model name '" + name + "' is not usable in a request; use letters, "
                        + "digits and . _ - : /");
            }
            if (reference == null || reference.isBlank()) {
                throw new InvalidInputException("model '" + name + "' has no reference; give a folder or builtin:NAME");
            }
            if (models.putIfAbsent(name, reference) != null) {
                throw new InvalidInputException("model name '" + name + "' is given twice; give each model its own name");
            }
            return this;
        }

        /** Parses {@code NAME=REF} (the CLI's {@code --model}); a bare REF is named after its last path part. */
        public Builder model(String spec) {
            int eq = spec == null ? -1 : spec.indexOf('=');
            if (eq > 0) {
                return model(spec.substring(0, eq), spec.substring(eq + 1));
            }
            if (spec == null || spec.isBlank()) {
                throw new InvalidInputException("--model is empty; give NAME=REF, e.g. minilm=builtin:all-minilm-l6-v2");
            }
            String ref = spec.endsWith("/") ? spec.substring(0, spec.length() - 1) : spec;
            String name = ref.substring(Math.max(ref.lastIndexOf('/'), ref.lastIndexOf(':')) + 1);
            return model(name, spec);
        }

        /** The runtime to open models with (a host's own, with its monitors); default: one built from backend/device with every default monitor. */
        public Builder runtime(KeelRuntime v) { runtime = v; return this; }
        public Builder backend(String v) { backend = v; return this; }
        public Builder device(dev.keel.api.Device v) { device = v; return this; }
        public Builder host(String v) { host = v; return this; }
        /** The port; 0 picks a free one ({@link KeelServer#port()} tells which). */
        public Builder port(int v) { port = v; return this; }
        /** Requests in flight per model before new ones get 429 with Retry-After. */
        public Builder maxQueue(int v) { maxQueue = v; return this; }
        /** Generations decoded together per model; more wait for a place in the batch. */
        public Builder maxBatch(int v) { maxBatch = v; return this; }
        /**
         * Intra-op threads of each model's engine session; 0 (the default) lets the engine decide (ONNX Runtime:
         * one per core). On a machine with few cores, fewer than the cores leaves room for the HTTP threads and the
         * stepping thread: on 2 cores, {@code 1} decoded a small gpt2's 16 streams about a quarter faster (see
         * docs/serving.md, "Threads").
         */
        public Builder threads(int v) { threads = v; return this; }
        public Builder maxRequestBytes(long v) { maxRequestBytes = v; return this; }
        /** The largest {@code max_tokens} a request may ask for. */
        public Builder maxTokensLimit(int v) { maxTokensLimit = v; return this; }
        /** {@code max_tokens} when a completion request gives none (OpenAI's default is 16). */
        public Builder defaultMaxTokens(int v) { defaultMaxTokens = v; return this; }
        public Builder drainTimeout(Duration v) { drainTimeout = v; return this; }
        /**
         * How long a stream's events may wait to go out together with the next ones (default 10 ms; zero writes
         * every event at once). A write per token per stream cost more than a decoding step of a small model;
         * the first event and the end of a stream are never held.
         */
        public Builder streamInterval(Duration v) { streamInterval = v; return this; }
        public Builder apiKeys(ApiKeys v) { keys = v; return this; }
        /**
         * Whether the server's own runtime gets every default monitor (on by default): {@code /monitor} and
         * {@code /v1/feedback} need them. Ignored when a {@link #runtime} is given (its hub is used).
         */
        public Builder monitors(boolean v) { monitors = v; return this; }
        /**
         * Where {@code registry:NAME@ALIAS} references resolve (a folder or JDBC URL; default KEEL_REGISTRY, then
         * ~/.keel/registry). Ignored when a {@link #runtime} is given (its registry is used).
         */
        public Builder registry(String location) { registry = location; return this; }

        /**
         * Records every served call in the inference log at {@code location} (a folder, an SQLite file or a JDBC
         * URL; {@code keel serve --capture DB}), under the model's served name, and makes {@code /v1/feedback}
         * durable and joined to the call. Needs {@code keel-registry} on the class path. Ignored when a
         * {@link #runtime} is given (capture is then the runtime's: {@code KeelRuntime.builder().capture(...)}).
         */
        public Builder capture(String location) { capture = location; return this; }

        /** As {@link #capture(String)}, with sampling, retention, redaction and tags. */
        public Builder capture(String location, dev.keel.api.iterate.CaptureOptions options) {
            capture = location;
            captureOptions = options;
            return this;
        }
        /** Serves HTTPS with the key and certificate in a keystore (PKCS12 or JKS). */
        public Builder tls(Path keystoreFile, String password) {
            keystore = keystoreFile;
            keystorePassword = password;
            return this;
        }

        /** Checks the settings, opens and warms up every model, and starts listening. */
        public KeelServer start() {
            if (models.isEmpty()) {
                throw new InvalidInputException("no model to serve; add one with --model NAME=REF (a folder, "
                        + "builtin:all-minilm-l6-v2, ...)");
            }
            if (port < 0 || port > 65535) {
                throw new InvalidInputException("port " + port + " is outside 0..65535; 0 picks a free port");
            }
            if (threads < 0) {
                throw new InvalidInputException("threads is " + threads + "; give the intra-op threads per model (1 or "
                        + "more), or 0 to let the engine decide");
            }
            if (maxQueue < 1 || maxBatch < 1 || maxRequestBytes < 1 || maxTokensLimit < 1 || defaultMaxTokens < 1) {
                throw new InvalidInputException("max queue, max batch, max request bytes and token limits must be "
                        + "positive; got queue " + maxQueue + ", batch " + maxBatch + ", bytes " + maxRequestBytes
                        + ", tokens " + maxTokensLimit + "/" + defaultMaxTokens);
            }
            if (defaultMaxTokens > maxTokensLimit) {
                defaultMaxTokens = maxTokensLimit;
            }
            if (keystore != null && !Files.isReadable(keystore)) {
                throw new InvalidInputException("the TLS keystore " + keystore + " cannot be read; give a PKCS12 or "
                        + "JKS file (e.g. made with keytool -genkeypair -storetype PKCS12)");
            }
            if (keystore != null && keystorePassword == null) {
                throw new InvalidInputException("the TLS keystore " + keystore + " needs its password "
                        + "(--tls-password-env VAR names the variable that holds it)");
            }
            if (streamInterval == null || streamInterval.isNegative()) {
                throw new InvalidInputException("stream interval must be zero or more, got " + streamInterval);
            }
            if (drainTimeout == null || drainTimeout.isNegative()) {
                throw new InvalidInputException("drain timeout must be zero or more, got " + drainTimeout);
            }
            return new KeelServer(this).startJetty();
        }
    }
}
