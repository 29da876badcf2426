package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingStoppedException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * How a training loop notices that it should stop, and keeps its checkpoint writes safe meanwhile. A run stops
 * when its listener asks ({@link TrainingListener#stopRequested()}) or its thread is interrupted. An interrupt
 * also breaks file I/O (a channel used by an interrupted thread closes itself), so writes go through
 * {@link #write}, which holds the interrupt back until the write is done and remembers it for the next
 * step boundary.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class TrainingStop {
    private final TrainingListener listener;
    private boolean interrupted;

    public TrainingStop(TrainingListener listener) {
        this.listener = listener;
    }

    /** Polled at a step boundary: whether to stop now. */
    public boolean requested() {
        if (Thread.interrupted()) {
            interrupted = true;
        }
        return interrupted || listener.stopRequested();
    }

    /** Runs a write with the thread's interrupt held back, retrying once when an interrupt broke it midway. */
    public void write(Runnable write) {
        if (Thread.interrupted()) {
            interrupted = true;
        }
        try {
            write.run();
        } catch (RuntimeException e) {
            if (!Thread.interrupted() && !causedByInterrupt(e)) {
                throw e;
            }
            interrupted = true;
            write.run();
        }
    }

    private static boolean causedByInterrupt(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The exception that ends a stopped run; an interrupt that caused it is set again on the thread, as Java's
     * convention for interruption asks.
     */
    public TrainingStoppedException stopped(String message, int step, int maxSteps, Path checkpoint) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new TrainingStoppedException(message, step, maxSteps, checkpoint);
    }
}
