package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.KeelException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apiguardian.api.API;

/**
 * Writes files so that a crash at any moment leaves either the old file or the new one, never a torn
 * mix: write a temporary file beside the target, force it to disk, rename it over the target, then force
 * the directory entry.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class AtomicFiles {
    private AtomicFiles() { }

    /** Writes the content a callback produces into {@code target}, atomically. */
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    public static void write(Path target, ChannelWriter writer) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            readableByAll(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            forceDirectory(dir);
        } catch (IOException e) {
            throw new KeelException("cannot write " + target + ": " + e.getMessage()
                    + "; check free disk space and permissions (the previous file is untouched)", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a stray temporary file never replaces the target
                }
            }
        }
    }

    /**
     * Temporary files are created owner-only; a model folder is meant to be shared (served by another
     * user, copied to another host), so the final file gets the usual rw-r--r--.
     */
    private static void readableByAll(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system; its default permissions apply
        }
    }

    public static void writeString(Path target, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        write(target, ch -> {
            var buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }

    /**
     * Deletes a folder and everything in it (a temporary folder an atomic folder write left behind, say);
     * nothing happens when it does not exist.
     */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * A new, empty folder in {@code parent} named {@code prefix} plus a random suffix, for writing a folder
     * that is renamed into place at the end. It gets the permissions a plain mkdir gives (the user's umask),
     * where {@code Files.createTempDirectory} makes it owner-only and the rename would carry that over to the
     * finished model folder.
     */
    public static Path newDirectory(Path parent, String prefix) throws IOException {
        Files.createDirectories(parent);
        for (int attempt = 0; ; attempt++) {
            Path dir = parent.resolve(prefix + Long.toUnsignedString(
                    java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36));
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Renames a folder in one step ({@code to} must not exist, or be an empty folder) and makes the rename
     * durable, so a crash leaves either the old name or the new one.
     */
    public static void moveDirectory(Path from, Path to) throws IOException {
        if (Files.isDirectory(to)) {
            try (java.util.stream.Stream<Path> entries = Files.list(to)) {
                if (entries.findAny().isEmpty()) {
                    Files.delete(to);
                }
            }
        }
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(to.toAbsolutePath().getParent());
    }

    /** Writes the files of a folder into the (empty) folder it is given. */
    public interface FolderWriter {
        void write(Path dir) throws IOException;
    }

    /**
     * Writes a whole folder at {@code target} (absent or empty) so that it appears complete or not at all: the
     * writer fills a hidden temporary sibling, which is then renamed to {@code target}; on failure the sibling is
     * deleted and {@code target} is as it was.
     */
    public static Path writeDirectory(Path target, FolderWriter writer) {
        Path dst = target.toAbsolutePath().normalize();
        Path tmp = null;
        try {
            Files.createDirectories(dst.getParent());
            tmp = Files.createTempDirectory(dst.getParent(), "." + dst.getFileName() + ".tmp-");
            try {
                // a temporary folder is owner-only; the model folder it becomes is meant to be shared
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system; its default permissions apply
            }
            writer.write(tmp);
            moveDirectory(tmp, dst);
            tmp = null;
            return dst;
        } catch (IOException e) {
            throw new KeelException("cannot write " + dst + ": " + e.getMessage() + "; check free disk space and "
                    + "permissions (nothing was written there)", e);
        } finally {
            if (tmp != null) {
                try {
                    deleteTree(tmp);
                } catch (IOException ignored) {
                    // a hidden leftover; the next write uses another name
                }
            }
        }
    }

    /**
     * Puts the complete folder {@code fresh} in the place of {@code current}: {@code current} is first renamed to
     * {@code current.old}, so a crash at any moment leaves a complete folder under one of the two names (readers
     * fall back to {@code .old}); the old one is deleted at the end.
     */
    public static void swapDirectory(Path fresh, Path current) throws IOException {
        Path old = current.resolveSibling(current.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(current)) {
            moveDirectory(current, old);
        }
        moveDirectory(fresh, current);
        deleteTree(old);
    }

    /** Whether a file name is one of the temporary files {@link #write} creates ({@code .NAME.RANDOM.tmp}). */
    public static boolean isTemporary(String fileName) {
        return fileName.startsWith(".") && fileName.endsWith(".tmp") && fileName.length() > 5;
    }

    /**
     * Deletes the temporary files a killed writer left in {@code dir} (not in sub-folders). Only call it while
     * holding the folder ({@link FolderLock}): another run's write in progress looks the same.
     */
    public static void deleteLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (isTemporary(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Makes a rename durable; some file systems do not allow opening directories, which is fine. */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported on this platform; the rename itself is still atomic
        }
    }
}
