package dev.keel.spark;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.InferenceSession;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkEnv;

/**
 * The models open in this JVM, one session per {@link ModelSpec}: every task of an executor (Spark runs
 * them as threads of one JVM) shares it, since sessions are thread-safe, so a model is loaded once per
 * executor rather than once per task or partition. Closed when the executor stops: by
 * {@link KeelSparkPlugin} when it is configured ({@link KeelSpark#configure}), else by a JVM shutdown hook.
 */
public final class ExecutorModels {
    private static final Map<ModelSpec, Holder> OPEN = new ConcurrentHashMap<>();
    private static final AtomicLong LOADS = new AtomicLong();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    private ExecutorModels() { }

    /** A lazily opened session; opening holds only this spec's lock, so other models load meanwhile. */
    private static final class Holder {
        private final ModelSpec spec;
        private volatile InferenceSession session;

        Holder(ModelSpec spec) {
            this.spec = spec;
        }

        synchronized InferenceSession get() {
            if (session == null) {
                session = openHere(spec);
                LOADS.incrementAndGet();
            }
            return session;
        }

        synchronized void close() {
            if (session != null) {
                session.close();
                session = null;
            }
        }
    }

    /** The session for {@code spec}, opened on first use in this JVM. */
    public static InferenceSession session(ModelSpec spec) {
        if (HOOKED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "keel-spark-close-models"));
        }
        return OPEN.computeIfAbsent(spec, Holder::new).get();
    }

    /** Models opened in this JVM since it started (the per-executor load count). */
    public static long loads() {
        return LOADS.get();
    }

    /** Models open in this JVM now. */
    public static int openCount() {
        return (int) OPEN.values().stream().filter(h -> h.session != null).count();
    }

    /** Closes every open model; later tasks open them again. */
    public static void closeAll() {
        for (var it = OPEN.entrySet().iterator(); it.hasNext(); ) {
            Holder h = it.next().getValue();
            it.remove();
            try {
                h.close();
            } catch (RuntimeException e) {
                // closing frees engine memory at shutdown; one model failing to close must not stop the rest
            }
        }
    }

    /**
     * Opens a model, naming this executor in the error: a folder missing or unreadable on one machine of a
     * cluster is otherwise hard to tell from a folder missing everywhere.
     */
    private static InferenceSession openHere(ModelSpec spec) {
        try {
            return spec.open();
        } catch (KeelException e) {
            String where = "executor " + executorId() + " cannot open model " + spec.model() + ": " + e.getMessage()
                    + (spec.ref().isBuiltin() ? "" : "; every executor must read the folder: put it on a shared "
                    + "filesystem, or ship it with --archives / spark.files and pass the name it gets there");
            if (e instanceof CheckpointException) {
                throw new CheckpointException(where, e);
            }
            if (e instanceof UnsupportedCapabilityException) {
                throw new UnsupportedCapabilityException(where);
            }
            if (e instanceof InvalidInputException) {
                throw new InvalidInputException(where, e);
            }
            throw new KeelException(where, e);
        }
    }

    private static String executorId() {
        SparkEnv env = SparkEnv.get();
        String host = "";
        try {
            host = " on " + java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            // the host name only decorates the message
        }
        return (env == null ? "?" : env.executorId()) + host;
    }
}
