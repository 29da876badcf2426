package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apiguardian.api.API;

/**
 * The one rule for folders Keel writes models into: a new run writes only into a folder that does not exist or
 * is empty (Keel never overwrites a model), never into a file, and never into a folder another run holds
 * ({@link FolderLock}). Checked before any work, so a refusal costs nothing and leaves everything as it was.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class OutputFolders {
    private OutputFolders() { }

    /** Whether {@code dir} is absent or holds nothing but a lock file. */
    public static boolean isAbsentOrEmpty(Path dir) {
        if (!Files.isDirectory(dir)) {
            return !Files.exists(dir);
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.allMatch(p -> p.getFileName().toString().equals(FolderLock.FILE));
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Fails unless {@code out} can be a folder at all: not a file, not held by another run. */
    public static void requireFolderPath(Path out, String what) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new InvalidInputException(what + " " + out + " is a file; give a folder path (a new or empty "
                    + "folder) for the model");
        }
        FolderLock.holder(out).ifPresent(h -> {
            throw new InvalidInputException(out + " is being written by " + h + "; wait for that run to finish "
                    + "(or stop it), or choose another folder");
        });
    }

    /**
     * Fails unless {@code out} is a new or empty folder that no run holds.
     *
     * @param what how the user named it, e.g. {@code "output folder"} or {@code "--out"}
     */
    public static void requireFresh(Path out, String what) {
        requireFolderPath(out, what);
        if (!isAbsentOrEmpty(out)) {
            throw new InvalidInputException(what + " " + out + " is not empty; choose a new folder or delete this "
                    + "one first (Keel never overwrites a model)");
        }
    }
}
