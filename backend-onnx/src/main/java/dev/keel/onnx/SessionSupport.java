package dev.keel.onnx;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.CheckpointException;
import dev.keel.api.KeelException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.infer.InferenceEvents;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * What every ONNX session shares: the engine session, its info, admission (at most {@code maxQueue} calls
 * in flight), and one inference event per call, failed or not. Calls hold a read lock and {@link #close()}
 * the write lock, so closing never frees the engine under a running call.
 */
abstract class SessionSupport implements InferenceSession {
    protected final OrtSession session;
    protected final ModelInfo info;
    protected final SessionOptions options;
    private final Semaphore admission;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    SessionSupport(OnnxModel model, SessionOptions options) {
        this.options = options;
        this.admission = new Semaphore(options.maxQueue());
        this.info = new ModelInfo(model.config(), OnnxBackendProvider.NAME, options.device(), model.version(),
                model.location());
        OrtSession.SessionOptions so = Ort.options(options);
        try {
            this.session = model.onnxFile() != null
                    ? Ort.env().createSession(model.onnxFile().toString(), so)
                    : Ort.env().createSession(model.onnxBytes(), so);
        } catch (OrtException e) {
            throw new CheckpointException("ONNX Runtime cannot load the graph of " + model.describe() + ": "
                    + e.getMessage() + "; re-export the model or check that it is a valid ONNX file", e);
        } finally {
            so.close();
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** One call in progress: its event, and the tokenize and queue time its body measured. */
    static final class Call {
        final InferenceEvents.Builder event;
        long tokenizeNanos;
        long queueNanos;

        Call(InferenceEvents.Builder event) {
            this.event = event;
        }
    }

    /** The body of one API call; it fills in the event's tokens and timings as it learns them. */
    interface Body<T> {
        T run(Call call) throws OrtException;
    }

    /**
     * Runs one API call: admission, the read lock, and exactly one event. A body records tokenize and queue
     * time itself; compute is the rest of the wall time.
     */
    protected <T> T call(String id, String operation, List<String> inputs, Body<T> body) {
        InferenceEvents.Builder event = InferenceEvents.start(id, operation, info).inputs(inputs);
        Call call = new Call(event);
        long start = System.nanoTime();
        boolean admitted = false;
        lock.readLock().lock();
        try {
            if (closed) {
                throw new KeelException("this onnx inference session is closed; open a new one");
            }
            if (!admission.tryAcquire()) {
                throw new KeelException("the session is busy (" + options.maxQueue() + " calls in flight); retry "
                        + "later, or open it with a larger SessionOptions.maxQueue");
            }
            admitted = true;
            return body.run(call);
        } catch (OrtException e) {
            event.error(e);
            throw new KeelException("ONNX Runtime failed during " + operation + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            event.error(e);
            throw e;
        } finally {
            if (admitted) {
                admission.release();
            }
            lock.readLock().unlock();
            long wall = System.nanoTime() - start;
            event.tokenize(call.tokenizeNanos).queue(call.queueNanos)
                    .compute(Math.max(0, wall - call.tokenizeNanos - call.queueNanos)).emit(options.listeners());
        }
    }

    protected <T> T call(String operation, List<String> inputs, Body<T> body) {
        return call(InferenceEvents.newId(), operation, inputs, body);
    }

    /** Releases subclass resources (under the write lock) before the engine session closes. */
    protected void closeResources() { }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeResources();
            session.close();
        } catch (OrtException e) {
            throw new KeelException("closing the ONNX Runtime session failed: " + e.getMessage(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
