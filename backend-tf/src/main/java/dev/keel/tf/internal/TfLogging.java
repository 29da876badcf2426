package dev.keel.tf.internal;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;

/**
 * Makes {@code TF_CPP_MIN_LOG_LEVEL} hold for every TensorFlow message. TensorFlow 2.18 logs part of its
 * chatter through Abseil's logger, which ignores that variable: "WARNING: All log messages before
 * absl::InitializeLog() is called are written to STDERR" and the MLIR notice "MLIR V1 optimization pass is not
 * enabled" appeared on every first graph run although the user had silenced TensorFlow. Two Abseil copies are
 * involved: {@code libtensorflow_framework}'s, whose exported {@code SetMinLogLevel} is handed the variable's
 * level, and a private one inside {@code libtensorflow_cc}, which exports no setter. Its only messages are
 * once-per-process notices on the first graph run, so when the level hides INFO, Keel makes that first run
 * itself, on a one-op graph, with the process's stderr pointed at /dev/null for those milliseconds. When the
 * variable is not set, or on a platform where any of this is not found, nothing changes and the messages stay.
 */
final class TfLogging {
    private static final String FRAMEWORK = "libtensorflow_framework.so.2";
    /** absl::lts_20230802::SetMinLogLevel(absl::lts_20230802::LogSeverityAtLeast), as TF 2.18 exports it. */
    private static final String SET_MIN_LOG_LEVEL = "_ZN4absl12lts_2023080214SetMinLogLevelENS0_18LogSeverityAtLeastE";
    private static final int STDERR = 2;
    private static final int O_WRONLY = 1;
    private static boolean applied;

    private TfLogging() { }

    /** Applies {@code TF_CPP_MIN_LOG_LEVEL} to Abseil once; TensorFlow's natives must be loaded already. */
    static synchronized void honourMinLogLevel() {
        if (applied) {
            return;
        }
        applied = true;
        Integer level = level(System.getenv("TF_CPP_MIN_LOG_LEVEL"));
        if (level == null) {
            return;
        }
        try {
            Optional<Path> framework = loaded(FRAMEWORK);
            if (framework.isPresent()) {
                // absl's LogSeverityAtLeast: 0 info, 1 warning, 2 error, 3 fatal, as TF_CPP_MIN_LOG_LEVEL counts
                Function f = NativeLibrary.getInstance(framework.get().toString()).getFunction(SET_MIN_LOG_LEVEL);
                f.invokeVoid(new Object[] {level});
            }
            if (level >= 1) {
                withoutStderr(TfLogging::firstGraphRun);
            }
        } catch (RuntimeException | LinkageError e) {
            // another TensorFlow build or OS: its messages stay, nothing else is affected
        }
    }

    static Integer level(String value) {
        if (value == null || !value.strip().matches("[0-3]")) {
            return null;
        }
        return Integer.parseInt(value.strip());
    }

    /** A one-op graph run once: TensorFlow's once-per-process notices fire here. */
    private static void firstGraphRun() {
        try (Graph g = new Graph(); Session s = new Session(g)) {
            Ops tf = Ops.create(g);
            var sum = tf.math.add(tf.constant(1), tf.constant(2));
            try (Result ignored = s.runner().fetch(sum).run()) {
                // the value does not matter
            }
        }
    }

    /** Runs {@code work} with file descriptor 2 on /dev/null, restoring it even when the work fails. */
    private static void withoutStderr(Runnable work) {
        NativeLibrary c = NativeLibrary.getInstance("c");
        System.err.flush();
        int saved = c.getFunction("dup").invokeInt(new Object[] {STDERR});
        int devNull = c.getFunction("open").invokeInt(new Object[] {"/dev/null", O_WRONLY});
        if (saved < 0 || devNull < 0) {
            closeQuietly(c, saved);
            closeQuietly(c, devNull);
            work.run();
            return;
        }
        try {
            c.getFunction("dup2").invokeInt(new Object[] {devNull, STDERR});
            work.run();
        } finally {
            c.getFunction("dup2").invokeInt(new Object[] {saved, STDERR});
            closeQuietly(c, saved);
            closeQuietly(c, devNull);
        }
    }

    private static void closeQuietly(NativeLibrary c, int fd) {
        if (fd >= 0) {
            c.getFunction("close").invokeInt(new Object[] {fd});
        }
    }

    /** The path of a shared library this process has loaded, from the Linux memory map. */
    private static Optional<Path> loaded(String name) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try (var lines = Files.lines(maps)) {
            return lines.map(l -> l.substring(l.indexOf('/') < 0 ? l.length() : l.indexOf('/')))
                    .filter(p -> p.endsWith("/" + name)).findFirst().map(Path::of);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
