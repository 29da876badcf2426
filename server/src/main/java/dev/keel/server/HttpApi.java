package dev.keel.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.Prediction;
import dev.keel.api.monitor.Feedback;
import dev.keel.monitors.export.MonitorReport;
import dev.keel.spi.checkpoint.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The HTTP API: OpenAI's {@code /v1/models}, {@code /v1/embeddings}, {@code /v1/completions} and
 * {@code /v1/chat/completions}, Keel's {@code /v1/classify} and {@code /v1/feedback}, {@code /metrics},
 * {@code /monitor} and the health checks. Handlers block (inference is blocking work); every answer that
 * comes from a model call carries its inference id in the {@value Exchange#INFERENCE_ID} header and the body.
 */
final class HttpApi extends Handler.Abstract {
    private static final int MAX_INPUTS = 2048;
    private static final long HEARTBEAT_NANOS = 500_000_000L;

    private final KeelServer server;

    HttpApi(KeelServer server) {
        this.server = server;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response, callback, server.streamIntervalNanos());
        String path = ex.path();
        boolean api = path.startsWith("/v1/");
        boolean counted = false;
        String status = "200";
        try {
            if (path.startsWith("/health/")) {
                health(ex, path);
                return true;
            }
            if (!server.keys().accepts(bearer(ex))) {
                throw ApiException.unauthorized();
            }
            if (api) {
                if (!server.enter()) {
                    throw ApiException.draining();
                }
                counted = true;
            }
            route(ex, path);
        } catch (RuntimeException | Error e) {
            ApiException error = ApiException.of(e instanceof UncheckedIOException u ? u.getCause() : e);
            status = String.valueOf(error.status);
            ex.error(error);
        } finally {
            if (counted) {
                server.leave();
            }
            server.count(api ? path : "other", status);
            ex.finish();
        }
        return true;
    }

    private static String bearer(Exchange ex) {
        String auth = ex.header("Authorization");
        if (auth == null) {
            return null;
        }
        return auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : null;
    }

    private void route(Exchange ex, String path) {
        switch (path) {
            case "/v1/models" -> {
                require(ex, "GET");
                models(ex);
            }
            case "/v1/embeddings" -> post(ex, () -> embeddings(ex));
            case "/v1/completions" -> post(ex, () -> completions(ex, false));
            case "/v1/chat/completions" -> post(ex, () -> completions(ex, true));
            case "/v1/classify" -> post(ex, () -> classify(ex));
            case "/v1/feedback" -> post(ex, () -> feedback(ex));
            case "/metrics" -> {
                require(ex, "GET");
                ex.text(200, "text/plain; version=0.0.4; charset=utf-8", server.scrape());
            }
            case "/monitor", "/monitor.html", "/monitor.json" -> {
                require(ex, "GET");
                monitor(ex, path);
            }
            case "/" -> ex.text(200, "text/plain; charset=utf-8", "Keel inference server. OpenAI-compatible: GET "
                    + "/v1/models, POST /v1/embeddings, /v1/completions, /v1/chat/completions. Keel: POST "
                    + "/v1/classify, /v1/feedback; GET /metrics, /monitor, /health/live, /health/ready\n");
            default -> {
                if (path.startsWith("/v1/models/")) {
                    require(ex, "GET");
                    ex.json(200, describe(server.model(path.substring("/v1/models/".length()))), null);
                } else {
                    throw ApiException.notFound("unknown_url", "nothing is served at " + path
                            + "; GET / lists the endpoints");
                }
            }
        }
    }

    private static void require(Exchange ex, String method) {
        if (!ex.method().equals(method)) {
            throw ApiException.methodNotAllowed(ex.method(), ex.path(), method);
        }
    }

    private static void post(Exchange ex, Runnable body) {
        require(ex, "POST");
        body.run();
    }

    private void health(Exchange ex, String path) {
        switch (path) {
            case "/health/live" -> ex.json(200, Map.of("status", "live"), null);
            case "/health/ready" -> {
                if (server.ready()) {
                    ex.json(200, Map.of("status", "ready", "models", server.modelNames()), null);
                } else {
                    ex.response.getHeaders().put("Retry-After", "5");
                    ex.json(503, Map.of("status", server.draining() ? "draining" : "starting"), null);
                }
            }
            default -> throw ApiException.notFound("unknown_url", "health checks are /health/live and /health/ready");
        }
    }

    private void models(Exchange ex) {
        List<Object> data = new ArrayList<>();
        for (String name : server.modelNames()) {
            data.add(describe(server.model(name)));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "list");
        out.put("data", data);
        ex.json(200, out, null);
    }

    private Map<String, Object> describe(ServedModel m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", m.name);
        out.put("object", "model");
        out.put("created", server.startedAt());
        out.put("owned_by", "keel");
        out.put("reference", m.reference);
        out.put("family", m.session.info().config().family().modelType());
        out.put("backend", m.session.info().backend());
        out.put("version", m.session.info().version());
        List<String> can = new ArrayList<>();
        if (m.generates) {
            can.add("completions");
        }
        if (m.chat.isPresent()) {
            can.add("chat");
        }
        if (m.embeds) {
            can.add("embeddings");
        }
        if (m.classifies) {
            can.add("classify");
        }
        out.put("capabilities", can);
        if (m.generates) {
            out.put("continuous_batching", m.batched());
            if (!m.batched()) {
                out.put("batching_note", m.batchingNote);
            }
        }
        return out;
    }

    private ServedModel model(JsonObject body) {
        String name = string(body, "model", null);
        if (name == null) {
            if (server.modelNames().size() == 1) {
                return server.model(server.modelNames().get(0));
            }
            throw ApiException.badRequest("model", "the request names no model; set \"model\" to one of "
                    + server.modelNames());
        }
        return server.model(name);
    }

    // ---- embeddings

    private void embeddings(Exchange ex) {
        JsonObject body = ex.jsonBody(server.maxRequestBytes());
        ServedModel m = model(body);
        if (!m.embeds) {
            throw ApiException.badRequest("model", "model '" + m.name + "' does not embed; use a model that does "
                    + "(GET /v1/models lists capabilities)");
        }
        List<String> texts = texts(body, "input", m);
        String format = string(body, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badRequest("encoding_format", "encoding_format is '" + format + "'; use float or base64");
        }
        m.admit();
        try {
            EmbeddingResult r = m.session.embed(texts);
            if (body.has("dimensions") && !body.get("dimensions").isJsonNull()
                    && body.get("dimensions").getAsInt() != r.dimension()) {
                throw ApiException.badRequest("dimensions", "model '" + m.name + "' makes " + r.dimension()
                        + "-dimensional vectors and cannot shorten them; leave dimensions out");
            }
            // the tokens the model read, as its engine counted them (tokenizing again cost a fifth of the server's
            // own time on a one-sentence request); a plugin that does not count them is counted here
            long tokens = r.inputTokens().orElseGet(() -> texts.stream()
                    .mapToLong(t -> m.session.tokenizer().encode(t).length).sum());
            ex.json(200, embeddingsJson(r, format.equals("base64"), m.name, tokens), r.inferenceId());
        } finally {
            m.release();
        }
    }

    /**
     * The embeddings answer written straight to text (the same JSON a Gson tree of it gives, floats in
     * {@link Float#toString} form): for a one-sentence request, building and walking the tree of 384 boxed
     * floats cost more than the rest of the server's work.
     */
    static byte[] embeddingsJson(EmbeddingResult r, boolean base64, String model, long tokens) {
        float[][] vectors = r.vectors();
        StringBuilder json = new StringBuilder(128 + vectors.length * (32 + r.dimension() * (base64 ? 6 : 13)));
        json.append("{\"object\":\"list\",\"id\":").append(Exchange.GSON.toJson(r.inferenceId())).append(",\"data\":[");
        for (int i = 0; i < vectors.length; i++) {
            json.append(i == 0 ? "" : ",").append("{\"object\":\"embedding\",\"index\":").append(i)
                    .append(",\"embedding\":");
            if (base64) {
                json.append('"').append(base64(vectors[i])).append('"');
            } else {
                json.append('[');
                for (int d = 0; d < vectors[i].length; d++) {
                    float f = vectors[i][d];
                    if (!Float.isFinite(f)) {
                        throw new KeelException("the model gave a non-finite value (" + f + ") in embedding " + i
                                + ", which JSON cannot carry; the model's weights are damaged or overflow on this input");
                    }
                    json.append(d == 0 ? "" : ",").append(f);
                }
                json.append(']');
            }
            json.append('}');
        }
        json.append("],\"model\":").append(Exchange.GSON.toJson(model)).append(",\"usage\":{\"prompt_tokens\":")
                .append(tokens).append(",\"total_tokens\":").append(tokens).append("}}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** A string, an array of strings, or token ids (an array of ints, or of such arrays) decoded to text. */
    private List<String> texts(JsonObject body, String field, ServedModel m) {
        JsonElement input = body.get(field);
        if (input == null || input.isJsonNull()) {
            throw ApiException.badRequest(field, "\"" + field + "\" is missing; send a string or an array of strings");
        }
        List<String> out = new ArrayList<>();
        if (input.isJsonPrimitive() && input.getAsJsonPrimitive().isString()) {
            out.add(input.getAsString());
        } else if (input.isJsonArray()) {
            JsonArray a = input.getAsJsonArray();
            if (a.isEmpty()) {
                throw ApiException.badRequest(field, "\"" + field + "\" is an empty array; send at least one text");
            }
            if (a.get(0).isJsonPrimitive() && a.get(0).getAsJsonPrimitive().isNumber()) {
                out.add(decode(a, field, m));
            } else {
                for (JsonElement e : a) {
                    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
                        out.add(e.getAsString());
                    } else if (e.isJsonArray()) {
                        out.add(decode(e.getAsJsonArray(), field, m));
                    } else {
                        throw ApiException.badRequest(field, "\"" + field + "\" holds " + e + "; every item must be "
                                + "a string (or an array of token ids)");
                    }
                }
            }
        } else {
            throw ApiException.badRequest(field, "\"" + field + "\" is " + input + "; send a string or an array of strings");
        }
        if (out.size() > MAX_INPUTS) {
            throw ApiException.badRequest(field, out.size() + " inputs in one request; send at most " + MAX_INPUTS);
        }
        return out;
    }

    private static String decode(JsonArray ids, String field, ServedModel m) {
        int[] tokens = new int[ids.size()];
        int vocab = m.session.tokenizer().vocabSize();
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = ids.get(i).getAsInt();
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw ApiException.badRequest(field, "token id " + tokens[i] + " is outside the vocabulary [0, "
                        + vocab + ") of model '" + m.name + "'");
            }
        }
        return m.session.tokenizer().decode(tokens);
    }

    // ---- completions and chat

    private void completions(Exchange ex, boolean chat) {
        JsonObject body = ex.jsonBody(server.maxRequestBytes());
        ServedModel m = model(body);
        if (!m.generates) {
            throw ApiException.badRequest("model", "model '" + m.name + "' does not generate; use a gpt2 (causal LM) "
                    + "model (GET /v1/models lists capabilities)");
        }
        List<String> prompts;
        if (chat) {
            ChatTemplate template = m.requireChat();
            prompts = List.of(template.render(messages(body), m.endOfTurn()));
        } else {
            prompts = texts(body, "prompt", m);
        }
        for (String unsupported : List.of("logprobs", "top_logprobs", "suffix", "logit_bias", "tools", "functions")) {
            JsonElement e = body.get(unsupported);
            if (e != null && !e.isJsonNull() && !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()
                    && !e.getAsBoolean())) {
                throw ApiException.badRequest(unsupported, "\"" + unsupported + "\" is not supported by Keel; leave it out");
            }
        }
        if (bool(body, "echo", false)) {
            throw ApiException.badRequest("echo", "\"echo\" is not supported by Keel; leave it out");
        }
        int n = integer(body, "n", 1);
        if (n < 1 || n > 16) {
            throw ApiException.badRequest("n", "n is " + n + "; ask for 1 to 16 choices");
        }
        int defaultMax = chat ? server.maxTokensLimit() : server.defaultMaxTokens();
        int maxTokens = integer(body, chat && body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                defaultMax);
        if (maxTokens < 1 || maxTokens > server.maxTokensLimit()) {
            throw ApiException.badRequest("max_tokens", "max_tokens is " + maxTokens + "; ask for 1 to "
                    + server.maxTokensLimit() + " (the server's --max-tokens-limit)");
        }
        double temperature = number(body, "temperature", 1.0);
        double topP = number(body, "top_p", 1.0);
        if (temperature < 0 || temperature > 2) {
            throw ApiException.badRequest("temperature", "temperature is " + temperature + "; use 0 to 2 (0 is greedy)");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.badRequest("top_p", "top_p is " + topP + "; use a value in (0, 1]");
        }
        List<String> stop = stops(body);
        long seed = body.has("seed") && !body.get("seed").isJsonNull() ? body.get("seed").getAsLong()
                : ThreadLocalRandom.current().nextLong();
        List<GenerationRequest> requests = new ArrayList<>();
        for (String prompt : prompts) {
            for (int i = 0; i < n; i++) {
                requests.add(GenerationRequest.builder().prompt(prompt).maxTokens(maxTokens).temperature(temperature)
                        .topP(topP).stop(stop).seed(seed + i).build());
            }
        }
        if (requests.size() > 16) {
            throw ApiException.badRequest("n", requests.size() + " generations in one request (prompts x n); ask for "
                    + "at most 16");
        }
        boolean stream = bool(body, "stream", false);
        boolean usageInStream = stream && body.has("stream_options") && body.get("stream_options").isJsonObject()
                && bool(body.getAsJsonObject("stream_options"), "include_usage", false);
        new Completion(ex, m, chat, requests, stream, usageInStream).run();
    }

    private static List<ChatTemplate.Message> messages(JsonObject body) {
        JsonElement e = body.get("messages");
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
            throw ApiException.badRequest("messages", "\"messages\" must be a non-empty array of {\"role\", \"content\"}");
        }
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (JsonElement item : e.getAsJsonArray()) {
            if (!item.isJsonObject()) {
                throw ApiException.badRequest("messages", "a message is " + item + "; send {\"role\", \"content\"}");
            }
            JsonObject o = item.getAsJsonObject();
            JsonElement content = o.get("content");
            String text;
            if (content == null || content.isJsonNull()) {
                text = "";
            } else if (content.isJsonPrimitive()) {
                text = content.getAsString();
            } else if (content.isJsonArray()) {
                StringBuilder sb = new StringBuilder();
                for (JsonElement part : content.getAsJsonArray()) {
                    JsonObject p = part.isJsonObject() ? part.getAsJsonObject() : null;
                    if (p == null || !"text".equals(string(p, "type", null))) {
                        throw ApiException.badRequest("messages", "message content part " + part + " is not text; "
                                + "Keel's models read text only");
                    }
                    sb.append(string(p, "text", ""));
                }
                text = sb.toString();
            } else {
                throw ApiException.badRequest("messages", "message content " + content + " is neither text nor parts");
            }
            out.add(new ChatTemplate.Message(string(o, "role", null), text));
        }
        return out;
    }

    private static List<String> stops(JsonObject body) {
        JsonElement e = body.get("stop");
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (e.isJsonPrimitive()) {
            out.add(e.getAsString());
        } else if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(s -> out.add(s.getAsString()));
        } else {
            throw ApiException.badRequest("stop", "\"stop\" must be a string or an array of up to 4 strings");
        }
        if (out.size() > 4) {
            throw ApiException.badRequest("stop", out.size() + " stop strings; send at most 4");
        }
        return out;
    }

    /** One completion or chat request: its generations run together (each joins the model's batch). */
    private final class Completion {
        private final Exchange ex;
        private final ServedModel m;
        private final boolean chat;
        private final List<GenerationRequest> requests;
        private final boolean stream;
        private final boolean usageInStream;
        private final String[] ids;
        private final long created = System.currentTimeMillis() / 1000;
        private final String responseId;
        /** When the last heartbeat went out (a non-streamed answer), so a vanished client is noticed. */
        private final java.util.concurrent.atomic.AtomicLong beat = new java.util.concurrent.atomic.AtomicLong(System.nanoTime() + HEARTBEAT_NANOS);

        Completion(Exchange ex, ServedModel m, boolean chat, List<GenerationRequest> requests, boolean stream,
                boolean usageInStream) {
            this.ex = ex;
            this.m = m;
            this.chat = chat;
            this.requests = requests;
            this.stream = stream;
            this.usageInStream = usageInStream;
            this.ids = new String[requests.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = m.newGenerationId();
            }
            this.responseId = (chat ? "chatcmpl-" : "cmpl-") + (ids[0] != null ? ids[0]
                    : java.util.UUID.randomUUID().toString());
        }

        void run() {
            m.admit();
            try {
                if (stream) {
                    ex.startStream(ids[0]);
                    if (chat) {
                        for (int i = 0; i < ids.length; i++) {
                            chunk(i, Map.of("role", "assistant", "content", ""), null, null);
                        }
                    }
                }
                GenerationResult[] results = generateAll();
                int promptTokens = 0;
                int completionTokens = 0;
                for (int i = 0; i < results.length; i++) {
                    completionTokens += results[i].tokens().length;
                    promptTokens += m.session.tokenizer().encode(requests.get(i).prompt()).length;
                }
                Map<String, Object> usage = new LinkedHashMap<>();
                usage.put("prompt_tokens", promptTokens);
                usage.put("completion_tokens", completionTokens);
                usage.put("total_tokens", promptTokens + completionTokens);
                if (stream) {
                    for (int i = 0; i < results.length; i++) {
                        chunk(i, chat ? Map.of() : null, finish(results[i]), results[i].inferenceId());
                    }
                    if (usageInStream) {
                        Map<String, Object> last = envelope();
                        last.put("choices", List.of());
                        last.put("usage", usage);
                        ex.event(Exchange.GSON.toJson(last));
                    }
                    ex.event("[DONE]");
                    return;
                }
                List<Object> choices = new ArrayList<>();
                for (int i = 0; i < results.length; i++) {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("index", i);
                    if (chat) {
                        c.put("message", Map.of("role", "assistant", "content", results[i].text()));
                    } else {
                        c.put("text", results[i].text());
                    }
                    c.put("logprobs", null);
                    c.put("finish_reason", finish(results[i]));
                    c.put("inference_id", results[i].inferenceId());
                    choices.add(c);
                }
                Map<String, Object> out = envelope();
                out.put("id", (chat ? "chatcmpl-" : "cmpl-") + results[0].inferenceId());
                out.put("choices", choices);
                out.put("usage", usage);
                out.put("inference_id", results[0].inferenceId());
                ex.json(200, out, String.join(",", List.of(inferenceIds(results))));
            } catch (IOException e) {
                throw new CancellationException("the client went away: " + e.getMessage());
            } finally {
                m.release();
            }
        }

        private String[] inferenceIds(GenerationResult[] results) {
            String[] out = new String[results.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = results[i].inferenceId();
            }
            return out;
        }

        private GenerationResult[] generateAll() {
            GenerationResult[] results = new GenerationResult[requests.size()];
            if (results.length == 1) {
                results[0] = generate(0);
                return results;
            }
            ExecutorService pool = server.choicePool();
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < results.length; i++) {
                int index = i;
                futures.add(pool.submit(() -> generate(index)));
            }
            for (int i = 0; i < results.length; i++) {
                try {
                    results[i] = futures.get(i).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted");
                } catch (java.util.concurrent.ExecutionException e) {
                    futures.forEach(f -> f.cancel(true));
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
            return results;
        }

        private GenerationResult generate(int i) {
            return m.generate(ids[i], requests.get(i), (token, text) -> {
                try {
                    if (stream) {
                        chunk(i, chat ? Map.of("content", text) : text, null, null);
                    } else if (ids[0] != null) {
                        heartbeat();
                    }
                } catch (IOException e) {
                    throw new CancellationException("the client went away: " + e.getMessage());
                }
            }, ex::gone);
        }

        /** After a second of generating, a space every half second, to find out whether the client is still there. */
        private void heartbeat() throws IOException {
            long now = System.nanoTime();
            long last = beat.get();
            if (now - last > HEARTBEAT_NANOS && beat.compareAndSet(last, now)) {
                ex.heartbeat(String.join(",", ids));
            }
        }

        private Map<String, Object> envelope() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", responseId);
            out.put("object", chat ? (stream ? "chat.completion.chunk" : "chat.completion") : "text_completion");
            out.put("created", created);
            out.put("model", m.name);
            return out;
        }

        /** One stream event for choice {@code i}: a text piece (completions) or a delta (chat). */
        private void chunk(int i, Object piece, String finishReason, String inferenceId) throws IOException {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", i);
            if (chat) {
                choice.put("delta", piece);
            } else {
                choice.put("text", piece == null ? "" : piece);
            }
            choice.put("logprobs", null);
            choice.put("finish_reason", finishReason);
            if (inferenceId != null) {
                choice.put("inference_id", inferenceId);
            }
            Map<String, Object> out = envelope();
            out.put("choices", List.of(choice));
            ex.event(Exchange.GSON.toJson(out));
        }
    }

    private static String finish(GenerationResult r) {
        return r.stopReason().equals("length") ? "length" : "stop";
    }

    // ---- Keel's own endpoints

    private void classify(Exchange ex) {
        JsonObject body = ex.jsonBody(server.maxRequestBytes());
        ServedModel m = model(body);
        if (!m.classifies) {
            throw ApiException.badRequest("model", "model '" + m.name + "' does not classify; adapt it first (keel "
                    + "adapt --task classify) or pick a classifier (GET /v1/models lists capabilities)");
        }
        List<String> texts = texts(body, "input", m);
        m.admit();
        try {
            ClassificationResult r = m.session.classify(texts);
            List<Object> data = new ArrayList<>();
            for (int i = 0; i < r.predictions().size(); i++) {
                Prediction p = r.predictions().get(i);
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("index", i);
                item.put("label", p.label());
                item.put("label_index", p.index());
                item.put("confidence", p.confidence());
                item.put("probabilities", p.probabilities());
                data.add(item);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", r.inferenceId());
            out.put("object", "classification");
            out.put("model", m.name);
            out.put("data", data);
            out.put("inference_id", r.inferenceId());
            ex.json(200, out, r.inferenceId());
        } finally {
            m.release();
        }
    }

    private void feedback(Exchange ex) {
        JsonObject body = ex.jsonBody(server.maxRequestBytes());
        String id = string(body, "inference_id", null);
        String kindText = string(body, "kind", null);
        if (id == null || kindText == null) {
            throw ApiException.badRequest("send {\"inference_id\": ID, \"kind\": one of "
                    + "thumbs_up, thumbs_down, label, correction, score, retry} (with \"value\" for label and "
                    + "correction, \"score\" for score)");
        }
        Feedback.Kind kind;
        try {
            kind = Feedback.Kind.valueOf(kindText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("kind", "kind '" + kindText + "' is not one of thumbs_up, thumbs_down, label, "
                    + "correction, score, retry");
        }
        double score = number(body, "score", Double.NaN);
        if (kind == Feedback.Kind.SCORE && Double.isNaN(score)) {
            throw ApiException.badRequest("score", "score feedback needs a numeric \"score\"");
        }
        Feedback f;
        try {
            f = new Feedback(id, kind, string(body, "value", null), score, null);
        } catch (InvalidInputException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        boolean recorded = server.feedback(f);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "feedback");
        out.put("inference_id", id);
        out.put("kind", kindText.toLowerCase(Locale.ROOT));
        out.put("recorded", recorded);
        out.put("durable", server.runtime().capture().isPresent()); // committed to the capture store (--capture)
        ex.json(200, out, id);
    }

    private void monitor(Exchange ex, String path) {
        Map<String, Object> report = MonitorReport.of(server.hub());
        String accept = ex.header("Accept");
        boolean html = path.equals("/monitor.html") || (path.equals("/monitor") && accept != null
                && accept.contains("text/html"));
        if (!html) {
            ex.text(200, "application/json", MonitorReport.json(report));
            return;
        }
        String page = MonitorReport.html(report, "Keel serve: " + String.join(", ", server.modelNames()));
        // the page refreshes itself, so a browser tab left open stays current
        page = page.replaceFirst("(?i)<head>", "<head><meta http-equiv=\"refresh\" content=\"5\">");
        ex.text(200, "text/html; charset=utf-8", page);
    }

    // ---- JSON field helpers with errors that name the field

    private static String string(JsonObject o, String field, String fallback) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive()) {
            throw ApiException.badRequest(field, "\"" + field + "\" must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static int integer(JsonObject o, String field, int fallback) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        JsonPrimitive p = e.isJsonPrimitive() ? e.getAsJsonPrimitive() : null;
        if (p == null || !p.isNumber() || p.getAsDouble() != Math.rint(p.getAsDouble())) {
            throw ApiException.badRequest(field, "\"" + field + "\" must be an integer, got " + e);
        }
        return p.getAsInt();
    }

    private static double number(JsonObject o, String field, double fallback) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiException.badRequest(field, "\"" + field + "\" must be a number, got " + e);
        }
        return e.getAsDouble();
    }

    private static boolean bool(JsonObject o, String field, boolean fallback) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiException.badRequest(field, "\"" + field + "\" must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }
}
