package dev.keel.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * One HTTP request and its response, with the blocking reads and writes an inference handler wants: a JSON
 * body read up to a size limit (413 past it), a JSON or text answer, and a server-sent event stream whose
 * every write fails at once when the client has gone away (which {@link #gone()} then reports, so a
 * generation stops instead of decoding for nobody).
 */
final class Exchange {
    static final String INFERENCE_ID = "X-Keel-Inference-Id";
    static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    final Request request;
    final Response response;
    final Callback callback;
    private final AtomicBoolean gone = new AtomicBoolean();
    private final Outbox outbox = new Outbox();
    private final long streamIntervalNanos;
    private boolean streaming;
    private boolean begun;

    Exchange(Request request, Response response, Callback callback, long streamIntervalNanos) {
        this.streamIntervalNanos = streamIntervalNanos;
        this.request = request;
        this.response = response;
        this.callback = callback;
        request.addFailureListener(failure -> gone.set(true));
    }

    String path() {
        return request.getHttpURI().getPath();
    }

    String method() {
        return request.getMethod();
    }

    String header(String name) {
        return request.getHeaders().get(name);
    }

    /** Whether the client went away (a write failed, or the connection reported a failure). */
    boolean gone() {
        return gone.get();
    }

    /** The body as a JSON object, refusing more than {@code limit} bytes (413) and anything but an object (400). */
    JsonObject jsonBody(long limit) {
        long declared = request.getLength();
        if (declared > limit) {
            throw tooLarge(declared, limit);
        }
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read the request body: " + e.getMessage());
        }
        if (bytes.length > limit) {
            throw tooLarge(-1, limit);
        }
        if (bytes.length == 0) {
            throw ApiException.badRequest("the request has no body; send a JSON object");
        }
        try {
            JsonElement e = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw ApiException.badRequest("the body is JSON but not an object; send {\"model\": ..., ...}");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw ApiException.badRequest("the body is not valid JSON (" + e.getMessage()
                    + "); send a JSON object such as {\"model\": \"NAME\", \"input\": \"text\"}");
        }
    }

    private static ApiException tooLarge(long declared, long limit) {
        return ApiException.tooLarge("the request body " + (declared >= 0 ? "has " + declared + " bytes, " : "")
                + "more than the server's limit of " + limit + " bytes (--max-request-bytes); send less per request");
    }

    void json(int status, Object body, String inferenceId) {
        json(status, GSON.toJson(body).getBytes(StandardCharsets.UTF_8), inferenceId);
    }

    /** A JSON answer already written to bytes. */
    void json(int status, byte[] bytes, String inferenceId) {
        if (begun) {
            queue(bytes);
            return;
        }
        if (inferenceId != null) {
            response.getHeaders().put(INFERENCE_ID, inferenceId);
        }
        send(status, "application/json", bytes);
    }

    void text(int status, String contentType, String body) {
        send(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private void send(int status, String contentType, byte[] bytes) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        write(true, bytes);
    }

    /** Answers an error in OpenAI's shape, unless a stream already started (then it ends the stream with it). */
    void error(ApiException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", e.getMessage());
        error.put("type", e.type);
        error.put("param", e.param);
        error.put("code", e.code);
        if (streaming) {
            try {
                event(GSON.toJson(Map.of("error", error)));
            } catch (IOException ignored) {
                // the client is gone; nothing more to tell it
            }
            return;
        }
        if (begun) {
            // the 200 and some whitespace went out already (a heartbeat): the error is the body
            queue(GSON.toJson(Map.of("error", error)).getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (response.isCommitted()) {
            return;
        }
        response.reset();
        e.headers.forEach((k, v) -> response.getHeaders().put(k, v));
        json(e.status == 499 ? 400 : e.status, Map.of("error", error), null);
    }

    /** Starts a server-sent event stream (headers go out now, so the client sees the stream open). */
    void startStream(String inferenceId) throws IOException {
        streaming = true;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        if (inferenceId != null) {
            response.getHeaders().put(INFERENCE_ID, inferenceId);
        }
        writeChecked(false, new byte[0]);
    }

    boolean streaming() {
        return streaming;
    }

    /**
     * A heartbeat for a long answer that is not streamed: the first call commits a 200 JSON response and
     * every call writes one space (JSON allows leading whitespace), so a client that went away is noticed
     * while its answer is still being generated. The answer or an error follows as the body.
     */
    synchronized void heartbeat(String inferenceId) throws IOException {
        if (!begun) {
            begun = true;
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            if (inferenceId != null) {
                response.getHeaders().put(INFERENCE_ID, inferenceId);
            }
        }
        outbox.add(new byte[] {' '});
    }

    /**
     * Queues one {@code data:} event; it goes out without blocking the caller (a generation's stepping thread
     * serves every client of the batch). Fails, once the client is known to be gone, with an IOException.
     */
    void event(String data) throws IOException {
        outbox.add(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private void queue(byte[] bytes) {
        try {
            outbox.add(bytes);
        } catch (IOException e) {
            // the client went away before its answer: nothing to do
        }
    }

    private void write(boolean last, byte[] bytes) {
        try {
            writeChecked(last, bytes);
        } catch (IOException e) {
            // the client went away before its answer: nothing to do
        }
    }

    private void writeChecked(boolean last, byte[] bytes) throws IOException {
        try (Blocker.Callback blocker = Blocker.callback()) {
            response.write(last, ByteBuffer.wrap(bytes), blocker);
            blocker.block();
        } catch (IOException | RuntimeException e) {
            gone.set(true);
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    /** Ends the exchange: completes the stream (if any, once its queued events went out) and tells Jetty the request is done. */
    void finish() {
        if (!response.isCommitted()) {
            text(204, "text/plain", "");
        }
        if (streaming || begun) {
            outbox.end();
        }
        callback.succeeded();
    }

    /**
     * The body of a stream or heartbeat answer, written without blocking whoever queues it: one write in flight
     * at a time, and what queued meanwhile goes out together in the next write. Events that come within the
     * stream interval of the last write wait for the next event after it (or the end), so a fast generation sends
     * a few tokens per write: a write per token per stream cost more than a decoding step of a small model. A
     * held event waits at most the interval plus the time to the next token.
     */
    private final class Outbox extends IteratingCallback {
        private final ByteArrayOutputStream queued = new ByteArrayOutputStream();
        private final CountDownLatch ended = new CountDownLatch(1);
        private boolean ending;
        private boolean lastWritten;
        /** When the last write started (0: none yet, so the first event goes out at once). */
        private long lastWrite;

        void add(byte[] bytes) throws IOException {
            boolean due;
            synchronized (queued) {
                if (gone.get()) {
                    throw new IOException("the client went away");
                }
                queued.write(bytes);
                due = lastWrite == 0 || System.nanoTime() - lastWrite >= streamIntervalNanos;
            }
            if (due) {
                iterate();
            }
        }

        /** Writes what is queued as the end of the body and waits until it went out (or the client is gone). */
        void end() {
            synchronized (queued) {
                ending = true;
            }
            iterate();
            boolean interrupted = false;
            while (true) {
                try {
                    ended.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        protected Action process() {
            byte[] next;
            boolean last;
            synchronized (queued) {
                if (lastWritten) {
                    return Action.SUCCEEDED;
                }
                if (queued.size() == 0 && !ending) {
                    return Action.IDLE;
                }
                next = queued.toByteArray();
                queued.reset();
                lastWrite = System.nanoTime();
                last = ending;
                lastWritten = last;
            }
            response.write(last, ByteBuffer.wrap(next), this);
            return Action.SCHEDULED;
        }

        @Override
        protected void onCompleteSuccess() {
            ended.countDown();
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            gone.set(true);
            ended.countDown();
        }
    }
}
