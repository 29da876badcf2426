package dev.keel.cli;

import dev.keel.api.InvalidInputException;
import dev.keel.server.ApiKeys;
import dev.keel.server.KeelServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel serve}: an HTTP inference server (OpenAI-compatible {@code /v1/...} plus Keel's own endpoints)
 * for one or more models, until SIGTERM or Ctrl-C, which drain it: no new requests, in-flight ones finish
 * within {@code --drain-seconds}, then it exits. Prints {@code url} and {@code models} once ready.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "HTTP inference server: OpenAI-compatible /v1/models, /v1/embeddings, /v1/completions, "
                + "/v1/chat/completions, plus /v1/classify, /v1/feedback, /metrics, /monitor, /health/*.")
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "NAME=REF",
            description = "a model to serve under NAME (repeat for several); REF a folder, builtin:NAME, "
                    + "registry:NAME@ALIAS (follows the alias) or registry:NAME/VERSION")
    List<String> models;

    @Option(names = "--port", defaultValue = "8080", description = "port (0 picks a free one; default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "address to listen on (0.0.0.0 for every interface; default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--max-queue", defaultValue = "64",
            description = "requests in flight per model before 429 with Retry-After (default: ${DEFAULT-VALUE})")
    int maxQueue;

    @Option(names = "--max-batch", defaultValue = "32",
            description = "generations decoded together per model; more wait their turn (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "intra-op threads per model; 0 lets the engine decide (one per core). On a few cores, "
                    + "fewer leaves room for the HTTP side (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--max-request-bytes", defaultValue = "1048576",
            description = "largest request body; larger gets 413 (default: ${DEFAULT-VALUE})")
    long maxRequestBytes;

    @Option(names = "--max-tokens-limit", defaultValue = "1024",
            description = "largest max_tokens a request may ask for (default: ${DEFAULT-VALUE})")
    int maxTokensLimit;

    @Option(names = "--default-max-tokens", defaultValue = "16",
            description = "max_tokens of a completion that gives none, as OpenAI's (default: ${DEFAULT-VALUE})")
    int defaultMaxTokens;

    @Option(names = "--api-keys", paramLabel = "FILE",
            description = "accepted API keys, one per line (default: KEEL_API_KEYS, comma-separated; none: no auth)")
    Path apiKeys;

    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "serve HTTPS with this PKCS12/JKS keystore")
    Path keystore;

    @Option(names = "--tls-password-env", paramLabel = "VAR", defaultValue = "KEEL_TLS_PASSWORD",
            description = "environment variable holding the keystore password (default: ${DEFAULT-VALUE})")
    String passwordEnv;

    @Option(names = "--drain-seconds", defaultValue = "30",
            description = "on SIGTERM, how long in-flight requests may take to finish (default: ${DEFAULT-VALUE})")
    int drainSeconds;

    @Option(names = "--monitor", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "attach every default monitor (latency, drift, accuracy from feedback, bias, ...) behind "
                    + "/monitor and /v1/feedback; --no-monitor serves without them (default: on)")
    boolean monitor;

    @Option(names = "--capture", paramLabel = "DB",
            description = "record every served call (inputs, answers, latency) in this capture store (a folder, an "
                    + "SQLite file or a JDBC URL), and /v1/feedback durably, joined to its call (keel feedback export "
                    + "turns it into training data)")
    String capture;

    @Override
    public Integer call() throws InterruptedException {
        Console console = Console.of(common);
        KeelServer.Builder b = KeelServer.builder().backend(common.backend).device(common.device()).host(host)
                .port(port).maxQueue(maxQueue).maxBatch(maxBatch).threads(threads).maxRequestBytes(maxRequestBytes)
                .maxTokensLimit(maxTokensLimit).defaultMaxTokens(defaultMaxTokens)
                .drainTimeout(Duration.ofSeconds(drainSeconds)).monitors(monitor)
                .apiKeys(apiKeys != null ? ApiKeys.fromFile(apiKeys) : ApiKeys.fromEnvironment());
        models.forEach(b::model);
        if (capture != null) {
            b.capture(capture);
        }
        if (common.registry != null) {
            b.registry(common.registry);
        }
        if (keystore != null) {
            String password = System.getenv(passwordEnv);
            if (password == null) {
                throw new InvalidInputException("--tls-keystore " + keystore + " needs its password in the environment "
                        + "variable " + passwordEnv + "; set it, or name another with --tls-password-env");
            }
            b.tls(keystore, password);
        }
        console.say("keel serve: loading " + String.join(", ", models) + " ...");
        KeelServer server = b.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("keel serve: draining (up to " + drainSeconds + " s) ...");
            boolean clean = server.drain(Duration.ofSeconds(drainSeconds));
            System.err.println("keel serve: stopped" + (clean ? "" : " (some requests did not finish in time)"));
            stopped.countDown();
        }, "keel-serve-drain"));
        StopSignals.exitOnStop(); // SIGTERM and Ctrl-C exit through the hook above, which drains

        console.say("keel serve: ready at " + server.url() + " (models: " + String.join(", ", server.modelNames())
                + "; OpenAI base URL " + server.url() + "/v1)");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("url", server.url());
        result.put("models", server.modelNames());
        result.put("capture", server.runtime().capture().map(c -> c.location()).orElse(null));
        console.result(result);
        stopped.await();
        return 0;
    }
}
