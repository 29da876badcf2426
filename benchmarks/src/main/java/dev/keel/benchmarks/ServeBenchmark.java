package dev.keel.benchmarks;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.KeelRuntime;
import dev.keel.server.KeelServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * {@code keel serve} under load, side by side in one run (the machine is shared and noisy, so compare ratios
 * within the run): MiniLM embeddings (one sentence per request) and a Keel-pretrained gpt2 (64-token
 * completions) at 1, 8 and 64 concurrent HTTP clients; generation tokens/s of 16 concurrent streams with
 * continuous batching against one stream and against the same 16 decoded one request at a time; server
 * overhead over in-process calls at one client; memory per idle model.
 *
 * <pre>
 *   java -Xms2g -Xmx2g -XX:+AlwaysPreTouch -cp ... dev.keel.benchmarks.ServeBenchmark --gpt2 DIR [--scale 1.0]
 *        [--threads N] [--only memory | --only overhead | --only generation --backends djl,onnx,tf]
 * </pre>
 * {@code DIR} is a gpt2 folder written by {@code keel pretrain}; {@code --scale} multiplies the request
 * counts (0.25 for a quick look); {@code --threads} sets the served models' intra-op threads (the server's
 * {@code --threads}; default: the engine's choice); {@code --only memory} stops after the memory figures;
 * {@code --only overhead} measures the server's overhead over in-process calls alone, after a warm-up pass;
 * {@code --only generation} measures the batching figures alone, on each named engine, after
 * {@code -Dkeel.bench.warmup} seconds (default 10) of streams that let the JIT compile first.
 */
public final class ServeBenchmark {
    private static final String[] SENTENCES = {"a fine film", "the soup was cold and the service slow",
        "one of the best movies of the year", "I would not recommend this hotel to anyone",
        "the battery lasts two full days", "a dull, tedious mess", "the staff remembered our names",
        "it boils water in a minute and shuts off reliably", "boring and far too long",
        "an ugly, pointless movie", "warm, funny and charming", "the plot makes no sense"};
    private static final String[] PROMPTS = {"ROMEO:", "JULIET:\nO ", "First Citizen:\n", "KING HENRY:\nWhat",
        "MENENIUS:\nI tell you", "HAMLET:\nTo be", "LADY MACBETH:\n", "Second Servant:\nSir,"};
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
            .executor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "bench-http");
                t.setDaemon(true);
                return t;
            })).build();

    /** Intra-op threads per served model ({@code --threads}; 0: the engine's choice). */
    private static int servedThreads;

    private ServeBenchmark() { }

    public static void main(String[] args) throws Exception {
        Path gpt2 = Path.of(arg(args, "--gpt2", "runs/shakespeare"));
        double scale = Double.parseDouble(arg(args, "--scale", "1.0"));
        servedThreads = Integer.parseInt(arg(args, "--threads", "0"));
        if (!Files.exists(gpt2.resolve("config.json"))) {
            System.err.println("no gpt2 folder at " + gpt2 + "; pre-train one first: bin/keel pretrain --corpus "
                    + "input.txt --out " + gpt2 + " --iters 600");
            System.exit(2);
        }
        System.out.printf(Locale.ROOT, "machine: %d cores, load average at start %s; served models' intra-op threads: "
                + "%s%n", Runtime.getRuntime().availableProcessors(), load(),
                servedThreads == 0 ? "the engine's choice" : servedThreads);

        if (arg(args, "--only", "").equals("generation")) {
            // the batching figures on chosen engines: --only generation --backends djl,onnx,tf
            for (String backend : arg(args, "--backends", "onnx").split(",")) {
                try (KeelServer server = KeelServer.builder().backend(backend).model("gpt2", gpt2.toString()).port(0)
                        .maxQueue(256).maxBatch(32).threads(servedThreads).maxTokensLimit(256).start()) {
                    generation(server, gpt2, backend, (int) Math.max(1, Math.round(scale * 3)));
                }
            }
            System.out.printf(Locale.ROOT, "load average at end %s%n", load());
            System.exit(0);
        }
        if (arg(args, "--only", "").equals("overhead")) {
            // the overhead figures alone, after a warm-up of both paths: --only overhead
            try (KeelServer server = KeelServer.builder().model("minilm", "builtin:all-minilm-l6-v2")
                    .model("gpt2", gpt2.toString()).port(0).maxQueue(256).maxBatch(32).threads(servedThreads)
                .maxTokensLimit(256).start()) {
                overheads(server, scale, true);
            }
            System.out.printf(Locale.ROOT, "load average at end %s%n", load());
            System.exit(0);
        }
        memoryPerIdleModel(gpt2);
        if (arg(args, "--only", "").equals("memory")) {
            System.exit(0);
        }

        try (KeelServer server = KeelServer.builder().model("minilm", "builtin:all-minilm-l6-v2")
                .model("gpt2", gpt2.toString()).port(0).maxQueue(256).maxBatch(32).threads(servedThreads)
                .maxTokensLimit(256).start()) {
            String backends;
            try (InferenceSession e = server.runtime().open(ModelRef.parse("builtin:all-minilm-l6-v2"));
                    InferenceSession g = server.runtime().open(ModelRef.parse(gpt2.toString()))) {
                backends = "minilm on " + e.info().backend() + ", gpt2 on " + g.info().backend() + " ("
                        + g.info().config() + ")";
            }
            System.out.println("models: " + backends);

            System.out.println();
            System.out.println("== requests/s and latency (HTTP, keep-alive, JDK HttpClient)");
            System.out.println("workload                         clients  requests  req/s     p50 ms    p99 ms");
            for (int clients : new int[] {1, 8, 64}) {
                int n = (int) Math.max(clients, Math.round(scale * (clients == 1 ? 300 : clients == 8 ? 800 : 1280)));
                report("embeddings, 1 sentence", clients, load(clients, n, i -> post(server, "/v1/embeddings",
                        "{\"model\":\"minilm\",\"input\":\"" + SENTENCES[i % SENTENCES.length] + "\"}")));
            }
            for (int clients : new int[] {1, 8, 64}) {
                int n = (int) Math.max(clients, Math.round(scale * (clients == 1 ? 12 : clients == 8 ? 48 : 128)));
                report("completions, 64 tokens", clients, load(clients, n, i -> post(server, "/v1/completions",
                        completion(i, false))));
            }

            overheads(server, scale, false);

            generation(server, gpt2, null, (int) Math.max(1, Math.round(scale * 3)));
        }
        System.out.printf(Locale.ROOT, "load average at end %s%n", load());
        System.exit(0);
    }

    /** Server overhead over in-process calls on the same sessions, at one client. */
    private static void overheads(KeelServer server, double scale, boolean warmUp) throws Exception {
        System.out.println();
        System.out.println("== server overhead over in-process calls on the same session, 1 client (p50; "
                + "in-process and HTTP calls alternate; HTTP through the JDK HttpClient and through a plain "
                + "keep-alive HTTP/1.1 client, which shows what the server adds without the JDK client's own "
                + "thread hand-offs)");
        InferenceSession minilm = server.session("minilm");
        InferenceSession g = server.session("gpt2");
        int blocks = (int) Math.max(5, Math.round(scale * 30));
        for (int pass = warmUp ? 0 : 1; pass < 2; pass++) {
            String suffix = pass == 0 ? " (warm-up)" : "";
            try (PlainHttp plain = new PlainHttp(server.port())) {
                overhead("embeddings, 1 sentence" + suffix, blocks, 10,
                        i -> minilm.embed(List.of(SENTENCES[i % SENTENCES.length])),
                        i -> post(server, "/v1/embeddings", "{\"model\":\"minilm\",\"input\":\""
                                + SENTENCES[i % SENTENCES.length] + "\"}"),
                        i -> plain.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":\""
                                + SENTENCES[i % SENTENCES.length] + "\"}"));
                overhead("completions, 64 tokens" + suffix, Math.max(3, blocks / 5), 4,
                        i -> g.generate(GenerationRequest.builder().prompt(PROMPTS[i % PROMPTS.length]).maxTokens(64)
                                .temperature(0.8).seed(i).build()),
                        i -> post(server, "/v1/completions", completion(i, false)),
                        i -> plain.post("/v1/completions", completion(i, false)));
            }
        }
    }

    /** Tokens/s of one stream and of 16 with continuous batching on {@code server}, and of 16 decoded one at a time. */
    private static void generation(KeelServer server, Path gpt2, String backend, int perStream) throws Exception {
        System.out.println();
        System.out.println("== generation tokens/s, streams of 64 tokens (SSE" + (System.getProperty(
                "keel.bench.streamClient", "plain").equals("jdk") ? ", JDK HttpClient" : ", plain keep-alive client")
                + ")" + (backend == null ? "" : ", gpt2 on " + backend));
        warmUp(server);
        // one stream runs 4x as many requests as each of the 16, so that its figure is not a fraction of a second
        double one = tokens(server, 1, 4 * perStream, "one stream");
        double batched = tokens(server, 16, perStream, "16 streams, continuous batching");
        try (KeelServer sequential = KeelServer.builder().backend(backend).model("gpt2", gpt2.toString()).port(0)
                .maxQueue(256).maxBatch(1).threads(servedThreads).maxTokensLimit(256).start()) {
            warmUp(sequential);
            double alone = tokens(sequential, 16, perStream, "16 streams, one decoded at a time (--max-batch 1)");
            System.out.printf(Locale.ROOT, "continuous batching: %.2fx one stream, %.2fx one-at-a-time decoding%n",
                    batched / one, batched / alone);
        }
    }

    /**
     * Streams one and 16 at a time, alternately, for {@code keel.bench.warmup} seconds (default 10): the JIT
     * compiles the server's, the client's and the engine's paths for about that long on two cores, and a figure
     * taken while it does measures the compiler as much as the server.
     */
    private static void warmUp(KeelServer server) throws Exception {
        double seconds = Double.parseDouble(System.getProperty("keel.bench.warmup", "10"));
        long until = System.nanoTime() + (long) (seconds * 1e9);
        do {
            tokens(server, 16, 1, null);
            tokens(server, 1, 4, null);
        } while (System.nanoTime() < until);
    }

    /** A sampled 64-token completion (seeded, so runs repeat); streamed with the usage chunk at the end. */
    private static String completion(int i, boolean stream) {
        JsonObject body = new JsonObject();
        body.addProperty("model", "gpt2");
        body.addProperty("prompt", PROMPTS[i % PROMPTS.length]);
        body.addProperty("max_tokens", 64);
        body.addProperty("temperature", 0.8);
        body.addProperty("seed", i);
        if (stream) {
            body.addProperty("stream", true);
            JsonObject options = new JsonObject();
            options.addProperty("include_usage", true);
            body.add("stream_options", options);
        }
        return body.toString();
    }

    // ---- memory

    private static void memoryPerIdleModel(Path gpt2) {
        System.out.println("== memory per idle model (native RSS + live heap after opening and warming; all copies "
                + "stay open; run with -Xms = -Xmx and -XX:+AlwaysPreTouch so the heap's own pages do not move RSS)");
        KeelRuntime runtime = KeelRuntime.builder().build();
        List<InferenceSession> open = new ArrayList<>();
        try {
            for (String ref : new String[] {"builtin:all-minilm-l6-v2", gpt2.toString()}) {
                long before = footprint();
                open.add(warm(runtime.open(ModelRef.parse(ref))));
                long first = footprint();
                for (int copy = 0; copy < 3; copy++) {
                    open.add(warm(runtime.open(ModelRef.parse(ref))));
                }
                long more = footprint();
                InferenceSession s = open.get(open.size() - 1);
                System.out.printf(Locale.ROOT, "%-26s on %-4s first %7.1f MB (engine start-up included if first on "
                        + "it), each further copy %6.1f MB%n", ref.startsWith("builtin:") ? ref : "gpt2 (pretrained)",
                        s.info().backend(), (first - before) / 1e6, (more - first) / 3e6);
            }
        } finally {
            open.forEach(InferenceSession::close);
        }
        System.out.println();
    }

    private static InferenceSession warm(InferenceSession s) {
        if (s.info().config().family().modelType().equals("gpt2")) {
            s.generate(GenerationRequest.builder().prompt("ROMEO:").maxTokens(8).greedy().build());
        } else {
            s.embed(List.of("warm up"));
        }
        return s;
    }

    /** Resident memory plus the live Java heap, after a collection. */
    private static long footprint() {
        long rss = rss();
        Runtime rt = Runtime.getRuntime();
        return rss + rt.totalMemory() - rt.freeMemory();
    }

    private static long rss() {
        System.gc();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        }
        return 0;
    }

    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    // ---- load generation

    private record Run(long[] latencies, long wallNanos, int errors) { }

    private interface Call {
        void run(int i) throws Exception;
    }

    private static Run load(int clients, int requests, Call call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long[] latencies = new long[requests];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            done.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    long t = System.nanoTime();
                    try {
                        call.run(i);
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    latencies[i] = System.nanoTime() - t;
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        long wall = System.nanoTime() - start;
        pool.shutdown();
        return new Run(latencies, wall, errors.get());
    }

    private static long[] timed(int n, IntFunction<Object> call) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            call.apply(i);
            out[i] = System.nanoTime() - t;
        }
        return out;
    }

    private static void post(KeelServer server, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("HTTP " + r.statusCode() + ": " + r.body());
        }
    }

    private static void report(String workload, int clients, Run run) {
        System.out.printf(Locale.ROOT, "%-32s %7d  %8d  %7.1f  %8.2f  %8.2f%s%n", workload, clients,
                run.latencies.length, run.latencies.length / (run.wallNanos / 1e9), percentile(run.latencies, 0.5),
                percentile(run.latencies, 0.99), run.errors > 0 ? "  (" + run.errors + " errors)" : "");
    }

    private static void overhead(String workload, int blocks, int perBlock, IntFunction<Object> inProcess, Call http,
            Call plain) throws Exception {
        int n = blocks * perBlock;
        long[] local = new long[n];
        long[] remote = new long[n];
        long[] lean = new long[n];
        for (int i = 0; i < n; i++) {
            // alternate call by call, each after the same short pause, so all see the same load and the same
            // scheduler treatment of a thread that wakes up (a busy box favours waking threads)
            Thread.sleep(2);
            long t = System.nanoTime();
            inProcess.apply(i);
            local[i] = System.nanoTime() - t;
            Thread.sleep(2);
            t = System.nanoTime();
            http.run(i);
            remote[i] = System.nanoTime() - t;
            Thread.sleep(2);
            t = System.nanoTime();
            plain.run(i);
            lean[i] = System.nanoTime() - t;
        }
        double l = percentile(local, 0.5);
        double r = percentile(remote, 0.5);
        double p = percentile(lean, 0.5);
        System.out.printf(Locale.ROOT, "%-24s in-process %7.2f ms  JDK client %7.2f ms (%+6.1f%%, %+.2f ms)  plain "
                + "client %7.2f ms (%+6.1f%%, %+.2f ms)%n", workload, l, r, 100 * (r - l) / l, r - l, p,
                100 * (p - l) / l, p - l);
    }

    /**
     * A minimal blocking HTTP/1.1 client on one keep-alive connection (TCP_NODELAY): writes a POST, reads the
     * status line, the headers and a Content-Length or chunked body. The caller's thread does it all, as a lean
     * client library (curl, a Netty client) would.
     */
    private static final class PlainHttp implements AutoCloseable {
        private final java.net.Socket socket;
        private final java.io.OutputStream out;
        private final java.io.BufferedInputStream in;

        PlainHttp(int port) throws IOException {
            socket = new java.net.Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = new java.io.BufferedOutputStream(socket.getOutputStream());
            in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        void post(String path, String json) throws IOException {
            stream(path, json, null);
        }

        /**
         * Posts {@code json} and reads the answer; with {@code lines} non-null, hands it each line of the body as
         * the line arrives (a streaming client reading server-sent events chunk by chunk).
         */
        void stream(String path, String json, java.util.function.Consumer<String> lines) throws IOException {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            String status = line();
            long length = -1;
            boolean chunked = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
            if (chunked) {
                for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                    byte[] chunk = in.readNBytes(size);
                    line();
                    if (lines != null) {
                        for (byte b : chunk) {
                            if (b == '\n') {
                                lines.accept(partial.toString(StandardCharsets.UTF_8));
                                partial.reset();
                            } else {
                                partial.write(b);
                            }
                        }
                    }
                }
                line();
            } else if (length > 0) {
                partial.write(in.readNBytes((int) length));
            }
            if (lines != null && partial.size() > 0) {
                lines.accept(partial.toString(StandardCharsets.UTF_8));
            }
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IOException(status);
            }
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("the server closed the connection");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static double percentile(long[] nanos, double p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
    }

    /**
     * Streams {@code clients x perClient} 64-token completions and prints the generated tokens per second (a
     * null label: a warm-up, not printed).
     */
    private static double tokens(KeelServer server, int clients, int perClient, String label) throws Exception {
        AtomicLong tokens = new AtomicLong();
        java.util.function.Consumer<String> usage = line -> {
            // only the usage chunk is parsed: the client shares the machine with the server
            if (line.startsWith("data: {") && line.contains("\"usage\"")) {
                JsonObject chunk = JsonParser.parseString(line.substring(6)).getAsJsonObject();
                if (chunk.has("usage") && !chunk.get("usage").isJsonNull()) {
                    tokens.addAndGet(chunk.getAsJsonObject("usage").get("completion_tokens").getAsLong());
                }
            }
        };
        boolean jdk = System.getProperty("keel.bench.streamClient", "plain").equals("jdk");
        Run run = load(clients, clients * perClient, i -> {
            if (!jdk) {
                try (PlainHttp plain = new PlainHttp(server.port())) {
                    plain.stream("/v1/completions", completion(i, true), usage);
                }
                return;
            }
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(completion(i, true))).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    usage.accept(line);
                }
            }
        });
        double perSecond = tokens.get() / (run.wallNanos / 1e9);
        if (label == null) {
            return perSecond;
        }
        System.out.printf(Locale.ROOT, "%-52s %6d tokens in %6.2f s  %8.1f tokens/s  p50 %7.1f ms per stream%s%n",
                label, tokens.get(), run.wallNanos / 1e9, perSecond, percentile(run.latencies, 0.5),
                run.errors > 0 ? "  (" + run.errors + " errors)" : "");
        return perSecond;
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
