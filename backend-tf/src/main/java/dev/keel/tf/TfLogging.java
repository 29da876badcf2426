package dev.keel.tf;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes {@code TF_CPP_MIN_LOG_LEVEL} hold for every TensorFlow message. TensorFlow 2.18 logs part of its
 * chatter (the MLIR pass notice, "All log messages before absl::InitializeLog() ...") through Abseil's own
 * logger, which ignores that variable, so a user who silenced TensorFlow still saw it on every graph run. When
 * the variable is set, the same level is handed to Abseil's {@code SetMinLogLevel} in the loaded
 * {@code libtensorflow_framework}; when it is not set, nothing changes. Best effort: on a platform where the
 * symbol cannot be found the messages simply stay.
 */
final class TfLogging {
    private static final String FRAMEWORK = "libtensorflow_framework.so.2";
    /** absl::lts_20230802::SetMinLogLevel(absl::lts_20230802::LogSeverityAtLeast), as TF 2.18 exports it. */
    private static final String SET_MIN_LOG_LEVEL = "_ZN4absl12lts_2023080214SetMinLogLevelENS0_18LogSeverityAtLeastE";
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
