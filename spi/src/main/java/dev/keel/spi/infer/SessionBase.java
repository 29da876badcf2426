package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.SessionBusyException;
import dev.keel.api.SessionClosedException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apiguardian.api.API;

/**
 * The skeleton every Keel session shares, so that backends agree on what the kit checks: each call runs
 * under a read lock ({@link #close()} takes the write lock, so it never frees the engine under a running
 * call), is admitted only while fewer than {@link SessionOptions#maxQueue()} calls are in flight
 * ({@link SessionBusyException} otherwise), fails with {@link SessionClosedException} after close, throws
 * only {@link KeelException}s (engine failures are wrapped by {@link #failure}), and emits exactly one
 * {@link InferenceEvent}, failed or not, with its timings. An operation a subclass does not override fails
 * with the API's {@link dev.keel.api.UnsupportedCapabilityException}, and reports that as its event too.
 *
 * <p>A subclass implements each operation it serves as {@code return call(Operation.X, inputs, call -> ...)},
 * validating its arguments inside the body (so a refused call is reported), recording tokenize and queue
 * time on the {@link Call}; compute time is the rest of the call's wall time. It frees its engine in
 * {@link #release()}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public abstract class SessionBase implements InferenceSession {
    private final ModelInfo info;
    private final SessionOptions options;
    private final Semaphore admission;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    protected SessionBase(ModelInfo info, SessionOptions options) {
        if (info == null || options == null) {
            throw new InvalidInputException("a session needs its model info and SessionOptions (e.g. SessionOptions.defaults())");
        }
        this.info = info;
        this.options = options;
        this.admission = new Semaphore(options.maxQueue());
    }

    @Override
    public final ModelInfo info() {
        return info;
    }

    /** The options the session was opened with. */
    protected final SessionOptions options() {
        return options;
    }

    /** One call in progress: its id, its event, and the tokenize and queue time its body measured. */
    public static final class Call {
        private final InferenceEvents.Builder event;
        private long tokenizeNanos;
        private long queueNanos;

        Call(InferenceEvents.Builder event) {
            this.event = event;
        }

        /** The inference id the call returns (its result must carry it). */
        public String id() {
            return event.id();
        }

        /** The call's event, for tokens, outputs and confidences. */
        public InferenceEvents.Builder event() {
            return event;
        }

        /** Adds time spent tokenizing. */
        public void tokenized(long nanos) {
            tokenizeNanos += nanos;
        }

        /** Adds time spent waiting for a batch or a worker. */
        public void queued(long nanos) {
            queueNanos += nanos;
        }

        /**
         * Folds the events of a wrapped session's calls into this one: their tokenize and queue time and input
         * tokens (their compute time is part of this call's wall time already).
         */
        public void absorb(List<InferenceEvent> inner) {
            long tokens = 0;
            for (InferenceEvent e : inner) {
                tokenizeNanos += e.tokenizeNanos();
                queueNanos += e.queueNanos();
                tokens += e.inputTokens();
            }
            event.inputTokens(tokens);
        }
    }

    /** The body of one call; it may throw the engine's checked exceptions, which {@link #failure} wraps. */
    @FunctionalInterface
    public interface Body<T> {
        T run(Call call) throws Exception;
    }

    /**
     * Runs one API call: the closed check, admission, the read lock, error mapping and exactly one event.
     *
     * @param operation what the caller invoked
     * @param inputs    the texts to report (null and null entries are reported as empty)
     */
    protected final <T> T call(Operation operation, List<String> inputs, Body<T> body) {
        InferenceEvents.Builder event = InferenceEvents.start(InferenceEvents.newId(), operation, info)
                .inputs(reportable(inputs));
        Call call = new Call(event);
        long start = System.nanoTime();
        boolean admitted = false;
        lock.readLock().lock();
        try {
            if (closed) {
                throw new SessionClosedException("the " + info.backend() + " session for " + describe()
                        + " is closed; open the model again");
            }
            if (!admission.tryAcquire()) {
                throw new SessionBusyException("the " + info.backend() + " session for " + describe() + " has "
                        + options.maxQueue() + " calls in flight; retry later, or open it with a larger "
                        + "SessionOptions.maxQueue");
            }
            admitted = true;
            return body.run(call);
        } catch (KeelException e) {
            event.error(e);
            throw e;
        } catch (Exception e) {
            KeelException mapped = failure(operation, e);
            event.error(mapped);
            throw mapped;
        } catch (Error e) {
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

    /**
     * The exception a call throws for an engine failure that is not already a {@link KeelException}. By
     * default a {@link KeelException} naming the backend and the operation; a backend whose engine reports
     * bad arguments with its own exception type maps those to {@link InvalidInputException}.
     */
    protected KeelException failure(Operation operation, Exception e) {
        return new KeelException("backend '" + info.backend() + "' failed during " + operation.label() + " on "
                + describe() + ": " + e, e);
    }

    /** Frees the engine's resources; called once, under the write lock, when no call is running. */
    protected abstract void release() throws Exception;

    /** Frees the engine after calls in flight end. Later calls throw {@link SessionClosedException}; idempotent. */
    @Override
    public final void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            release();
        } catch (KeelException e) {
            throw e;
        } catch (Exception e) {
            throw new KeelException("closing the " + info.backend() + " session for " + describe() + " failed: "
                    + e.getMessage(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private String describe() {
        return info.location() != null ? info.location().toString() : info.version();
    }

    private static List<String> reportable(List<String> inputs) {
        if (inputs == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(inputs.size());
        for (String s : inputs) {
            out.add(s == null ? "" : s);
        }
        return out;
    }

    /**
     * The texts of an embed or classify call, refused with the position of the first null.
     *
     * @throws InvalidInputException for a null list or a null text
     */
    protected static List<String> requireTexts(List<String> texts) {
        if (texts == null) {
            throw new InvalidInputException("texts is null; pass a list of texts (an empty list for none)");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new InvalidInputException("text " + i + " is null; pass empty strings, not nulls");
            }
        }
        return texts;
    }

    /**
     * A required argument.
     *
     * @throws InvalidInputException naming {@code what} and how to make one, when {@code value} is null
     */
    protected static <T> T require(T value, String what, String howToMake) {
        if (value == null) {
            throw new InvalidInputException(what + " is null; " + howToMake);
        }
        return value;
    }

    /** The prompt of a generate call, for the event (empty when the request is null). */
    protected static List<String> promptOf(GenerationRequest request) {
        return request == null ? List.of() : List.of(request.prompt());
    }

    /** The corpus of an evaluate call, for the event (empty when it is null). */
    protected static List<String> sourceOf(TextCorpus corpus) {
        return corpus == null ? List.of() : List.of(corpus.source().toString());
    }

    // Operations a subclass does not serve still count as calls: each reports its refusal as an event.

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        return call(Operation.GENERATE, promptOf(request), c -> InferenceSession.super.generate(request, listener));
    }

    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions options) {
        return call(Operation.EMBED, texts, c -> InferenceSession.super.embed(texts, options));
    }

    @Override
    public ClassificationResult classify(List<String> texts) {
        return call(Operation.CLASSIFY, texts, c -> InferenceSession.super.classify(texts));
    }

    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        return call(Operation.EVALUATE, sourceOf(corpus), c -> InferenceSession.super.evaluate(corpus, split));
    }

    @Override
    public float[][] logits(int[] tokens) {
        return call(Operation.LOGITS, List.of(), c -> InferenceSession.super.logits(tokens));
    }

    /** The listeners given at open, for sessions that relay to an inner session ({@link EventRelay}). */
    protected final List<InferenceListener> listeners() {
        return options.listeners();
    }
}
