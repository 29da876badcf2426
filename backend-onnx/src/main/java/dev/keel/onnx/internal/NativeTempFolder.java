package dev.keel.onnx.internal;

import dev.keel.spi.checkpoint.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * ONNX Runtime's Java loader extracts its natives into a fresh {@code onnxruntime-java<N>} folder under
 * {@code java.io.tmpdir} in every JVM, keeps one library there (providers load it by path later, so it cannot go
 * earlier) and marks both for deletion at exit in an order that deletes the folder while it still holds the
 * library: every JVM left an empty folder behind (96 after a day of tests). Keel removes that folder, with what
 * is in it, when the JVM exits. The folder is found through the loader's own field, so only this JVM's folder is
 * ever touched; if a later ONNX Runtime renames the field, nothing is removed and nothing else changes.
 */
final class NativeTempFolder {
    private static boolean registered;

    private NativeTempFolder() { }

    /** Arranges for this JVM's extraction folder to be removed at exit; idempotent. */
    static synchronized void removeAtExit() {
        if (registered) {
            return;
        }
        registered = true;
        folder().ifPresent(dir -> Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir),
                "keel-onnxruntime-temp-cleanup")));
    }

    /** The folder ONNX Runtime extracted into in this JVM, when it used one and it still exists. */
    static Optional<Path> folder() {
        try {
            var field = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            field.setAccessible(true);
            Object value = field.get(null);
            if (value instanceof Path dir && Files.isDirectory(dir)
                    && dir.getFileName().toString().startsWith("onnxruntime-java")) {
                return Optional.of(dir);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // another ONNX Runtime version: leave its folder alone
        }
        return Optional.empty();
    }

    static void remove(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException | RuntimeException e) {
            // best effort at exit; a folder left behind is litter, not harm
        }
    }
}
