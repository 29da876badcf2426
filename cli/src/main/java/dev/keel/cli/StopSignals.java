package dev.keel.cli;

import dev.keel.api.KeelException;
import dev.keel.api.train.TrainingListener;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * Ctrl-C (SIGINT) and SIGTERM for the command line: the first one asks the running verb to stop at its next
 * safe point (a training step, an embedding chunk), where it saves what it needs and ends with exit status
 * 130 or 143 (128 + the signal's number, as shells report it). Nothing exits while an engine is in native
 * code: the JVM's own handling of these signals (run the shutdown hooks, then exit) tore libtorch and ONNX
 * Runtime down under a running step and crashed the JVM. A verb with no safe points of its own gets
 * {@value #GRACE_SECONDS} seconds to finish its current engine call; a second signal exits at once.
 *
 * <p>Installed by {@link KeelCli#main} only: a library never takes over a host's signals. Hosts stop a
 * training run through {@link TrainingListener#stopRequested()} or {@link Thread#interrupt()}.
 */
final class StopSignals {
    static final int GRACE_SECONDS = 10;
    private static final AtomicInteger RECEIVED = new AtomicInteger();
    private static volatile String signal;
    private static volatile boolean cooperative;
    private static volatile boolean exitOnStop;
    private static volatile PrintStream err = System.err;

    private StopSignals() { }

    /** Handles SIGINT and SIGTERM from now on. */
    static void install() {
        err = System.err;
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), StopSignals::received);
            } catch (IllegalArgumentException e) {
                // the JVM reserves it (e.g. -Xrs); its default handling stays
            }
        }
    }

    private static void received(Signal s) {
        int count = RECEIVED.incrementAndGet();
        int code = 128 + s.getNumber();
        if (count > 1) {
            err.println("keel: SIG" + s.getName() + " again: exiting now");
            Runtime.getRuntime().halt(code);
        }
        signal = s.getName();
        if (exitOnStop) {
            // the verb cleans up in its shutdown hooks (keel serve drains): exit as the JVM would have
            Thread exit = new Thread(() -> System.exit(code), "keel-stop-exit");
            exit.start();
            return;
        }
        if (cooperative) {
            err.println("keel: SIG" + s.getName() + " received: stopping at the next safe point and saving "
                    + "(send it again to exit at once)");
            return;
        }
        err.println("keel: SIG" + s.getName() + " received: stopping after the current engine call (at most "
                + GRACE_SECONDS + " s; send it again to exit at once)");
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(GRACE_SECONDS * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            err.println("keel: still busy after " + GRACE_SECONDS + " s; exiting");
            Runtime.getRuntime().halt(code);
        }, "keel-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Declares that the running verb polls {@link #requested()} at safe points, so no watchdog is needed. */
    static void cooperate() {
        cooperative = true;
    }

    /**
     * Declares that the running verb stops by exiting the JVM, its shutdown hooks doing the cleanup (a server
     * draining its requests): a signal then exits at once, with 130 or 143, as the JVM's own handling would.
     */
    static void exitOnStop() {
        exitOnStop = true;
    }

    /** Whether a stop was asked for. */
    static boolean requested() {
        return signal != null;
    }

    /** SIGINT or SIGTERM, for messages; null when no signal came. */
    static String name() {
        return signal == null ? null : "SIG" + signal;
    }

    /** 130 after SIGINT, 143 after SIGTERM (128 + the signal's number); 1 when no signal came. */
    static int exitCode() {
        if (signal == null) {
            return 1;
        }
        return 128 + new Signal(signal).getNumber();
    }

    /** {@code listener}, also asking its run to stop once a signal came. */
    static TrainingListener stopping(TrainingListener listener) {
        cooperate();
        return listener.stoppingWhen(StopSignals::requested);
    }

    /** Throws {@link Stopped} when a signal came: call at a safe point of a verb's own loop. */
    static void checkpoint(String progress) {
        if (requested()) {
            throw new Stopped("stopped by " + name() + " " + progress);
        }
    }

    /** A verb ended early on a signal; the CLI exits with {@link #exitCode()}. */
    static final class Stopped extends KeelException {
        Stopped(String message) {
            super(message);
        }
    }
}
