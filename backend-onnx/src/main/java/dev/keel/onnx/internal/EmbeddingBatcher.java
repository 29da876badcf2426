package dev.keel.onnx.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.KeelException;
import dev.keel.api.tokenize.Encoding;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Dynamic, length-bucketed batching for an encoder. Callers tokenize on their own threads, sort their rows by
 * length and hand chunks to the inference threads; each drains whatever chunks are waiting (from any
 * caller), sorts the rows by length again and runs batches of similar length, so padding stays small and
 * concurrent small requests share engine calls. A large request is queued as many chunks, so a small one
 * arriving meanwhile is served between them instead of after the whole job. A call that fits one batch and
 * finds the engine idle runs on the caller's thread: no hand-off, so a lone short sentence pays no
 * thread wake-up. Two batches may run at once (two workers sharing the session's intra-op pool), so one
 * batch's Java work (padding, tensors, pooling) overlaps the other's engine time.
 */
final class EmbeddingBatcher implements AutoCloseable {
    /** Chunks one drain may merge: enough to re-bucket across callers, few enough to bound latency. */
    private static final int MERGE_CHUNKS = 4;

    private final OrtSession session;
    private final boolean feedTypes;
    private final String output;
    private final int maxBatch;
    private final Semaphore admission;
    private final int maxQueue;
    private final LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    private final Semaphore engine;
    private final int parallel;
    private volatile boolean closed;

    /** One caller's call: where the pooled vectors go and how long its rows spent in the engine. */
    static final class Request {
        final float[][] vectors;
        final CompletableFuture<Request> done = new CompletableFuture<>();
        final AtomicInteger remaining;
        final AtomicLong computeNanos = new AtomicLong();
        final long enqueuedNanos = System.nanoTime();

        Request(int rows) {
            this.vectors = new float[rows][];
            this.remaining = new AtomicInteger(rows);
        }
    }

    private record Row(Request request, int index, Encoding encoding) { }

    private record Chunk(List<Row> rows) { }

    EmbeddingBatcher(OrtSession session, int maxBatch, int maxQueue, String name) {
        this.session = session;
        this.feedTypes = session.getInputNames().contains("token_type_ids");
        this.output = session.getOutputNames().contains("last_hidden_state") ? "last_hidden_state"
                : session.getOutputNames().iterator().next();
        this.maxBatch = maxBatch;
        this.maxQueue = maxQueue;
        this.admission = new Semaphore(maxQueue);
        this.parallel = Math.min(2, Runtime.getRuntime().availableProcessors());
        this.engine = new Semaphore(parallel);
        for (int i = 0; i < parallel; i++) {
            Thread worker = new Thread(this::loop, "keel-onnx-embed-" + i + "-" + name);
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
    }

    /**
     * Queues a call's encodings and returns its request, completed when every row is pooled. Fails at once
     * when {@code maxQueue} calls are already pending, so an overloaded host backs off instead of piling up.
     */
    Request submit(List<Encoding> encodings) {
        if (closed) {
            throw new KeelException("the session is closed; open a new one");
        }
        if (!admission.tryAcquire()) {
            throw new KeelException("the embedding queue is full (" + maxQueue + " calls pending); retry later, "
                    + "or open the session with a larger SessionOptions.maxQueue");
        }
        Request request = new Request(encodings.size());
        if (encodings.isEmpty()) {
            admission.release();
            request.done.complete(request);
            return request;
        }
        request.done.whenComplete((r, e) -> admission.release());
        if (encodings.size() <= maxBatch && queue.isEmpty() && engine.tryAcquire()) {
            try {
                if (closed) {
                    request.done.completeExceptionally(new KeelException("the session was closed while the call "
                            + "waited"));
                    return request;
                }
                List<Row> rows = new ArrayList<>(encodings.size());
                for (int i = 0; i < encodings.size(); i++) {
                    rows.add(new Row(request, i, encodings.get(i)));
                }
                runBatch(rows);
            } finally {
                engine.release();
            }
            return request;
        }
        Integer[] order = new Integer[encodings.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> encodings.get(i).length()));
        for (int from = 0; from < order.length; from += maxBatch) {
            List<Row> rows = new ArrayList<>(maxBatch);
            for (int k = from; k < Math.min(order.length, from + maxBatch); k++) {
                rows.add(new Row(request, order[k], encodings.get(order[k])));
            }
            queue.add(new Chunk(rows));
        }
        if (closed) {
            request.done.completeExceptionally(new KeelException("the session was closed while the call waited"));
        }
        return request;
    }

    private void loop() {
        List<Chunk> drained = new ArrayList<>();
        while (!closed) {
            try {
                drained.clear();
                drained.add(queue.take());
                queue.drainTo(drained, MERGE_CHUNKS - 1);
            } catch (InterruptedException e) {
                break;
            }
            List<Row> rows = new ArrayList<>();
            drained.forEach(c -> rows.addAll(c.rows()));
            rows.sort(Comparator.comparingInt(r -> r.encoding().length()));
            for (int from = 0; from < rows.size(); from += maxBatch) {
                List<Row> batch = rows.subList(from, Math.min(rows.size(), from + maxBatch));
                if (batch.stream().allMatch(r -> r.request().done.isDone())) {
                    continue;
                }
                engine.acquireUninterruptibly();
                try {
                    if (closed) {
                        break; // close() is waiting for running batches; start no new one
                    }
                    runBatch(batch);
                } finally {
                    engine.release();
                }
            }
        }
        failPending(new KeelException("the session was closed while the call waited"));
    }

    private void runBatch(List<Row> batch) {
        long start = System.nanoTime();
        try {
            float[][] pooled = meanPool(batch);
            long elapsed = System.nanoTime() - start;
            Map<Request, Integer> share = new HashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                Row r = batch.get(i);
                r.request().vectors[r.index()] = pooled[i];
                share.merge(r.request(), 1, Integer::sum);
            }
            share.forEach((req, n) -> {
                req.computeNanos.addAndGet(elapsed * n / batch.size());
                if (req.remaining.addAndGet(-n) == 0) {
                    req.done.complete(req);
                }
            });
        } catch (OrtException | RuntimeException e) {
            KeelException failure = new KeelException("ONNX Runtime failed on a batch of " + batch.size()
                    + " texts: " + e.getMessage(), e);
            batch.forEach(r -> r.request().done.completeExceptionally(failure));
        }
    }

    /** Runs one padded batch and returns the attention-masked mean of the last hidden state per row. */
    private float[][] meanPool(List<Row> batch) throws OrtException {
        int b = batch.size();
        int len = 0;
        for (Row r : batch) {
            len = Math.max(len, r.encoding().length());
        }
        long[] ids = new long[b * len];
        long[] mask = new long[b * len];
        long[] types = new long[b * len];
        for (int i = 0; i < b; i++) {
            Encoding e = batch.get(i).encoding();
            e.copyTo(ids, mask, types, i * len);
        }
        long[] shape = {b, len};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(mask), shape));
            if (feedTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result result = session.run(inputs, java.util.Set.of(output))) {
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                long[] hs = hidden.getInfo().getShape();
                int dim = (int) hs[2];
                FloatBuffer h = hidden.getFloatBuffer();
                float[][] out = new float[b][dim];
                for (int i = 0; i < b; i++) {
                    float[] v = out[i];
                    int count = 0;
                    for (int t = 0; t < len; t++) {
                        if (mask[i * len + t] == 0) {
                            continue;
                        }
                        count++;
                        int base = (i * len + t) * dim;
                        for (int d = 0; d < dim; d++) {
                            v[d] += h.get(base + d);
                        }
                    }
                    float inv = 1f / Math.max(count, 1);
                    for (int d = 0; d < dim; d++) {
                        v[d] *= inv;
                    }
                }
                return out;
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private void failPending(KeelException e) {
        List<Chunk> left = new ArrayList<>();
        queue.drainTo(left);
        left.forEach(c -> c.rows().forEach(r -> r.request().done.completeExceptionally(e)));
    }

    /**
     * Stops the batcher and returns only when no batch runs any more, on a worker or on a caller's thread, so the
     * session can close the engine under no native call: a JVM that exits (or frees the ORT session) while
     * ONNX Runtime still computes a batch crashes in native code. Waits up to a minute for the batches running.
     */
    @Override
    public void close() {
        closed = true;
        workers.forEach(Thread::interrupt); // wakes the idle ones; a running batch finishes first
        boolean interrupted = false;
        boolean idle = false;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!idle && System.nanoTime() < deadline) {
            try {
                idle = engine.tryAcquire(parallel, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (idle) {
            engine.release(parallel); // workers blocked on a permit take it, see closed and leave
        }
        try {
            for (Thread worker : workers) {
                worker.join(10_000);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        failPending(new KeelException("the session was closed while the call waited"));
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
