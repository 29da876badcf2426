package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * An exclusive claim on a folder that a run writes into, so two runs never write one model folder at once.
 *
 * <p>The claim is an operating-system lock on {@value #FILE} inside the folder; the file also records who holds
 * it (process id, host, start time, what it is doing), so a refusal names the other run. The operating system
 * drops the lock when its process dies however it dies, so a lock file left by a killed run is stale by
 * construction: the next run takes it over instead of asking the user to delete anything.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class FolderLock implements AutoCloseable {
    /** The lock file's name inside the locked folder; hidden, and ignored when a folder is checked for emptiness. */
    public static final String FILE = ".keel.lock";
    /**
     * Lock files this JVM holds. Checked before any second channel is opened on one of them, because closing
     * any channel on a file drops every POSIX lock the process holds on it.
     */
    private static final Map<Path, Map<String, Object>> HELD = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path file;
    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(Path file, Path key, FileChannel channel, FileLock lock) {
        this.file = file;
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Claims {@code dir} (created when absent) for {@code purpose}, or fails with an
     * {@link InvalidInputException} naming the run that holds it.
     */
    public static FolderLock acquire(Path dir, String purpose) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new KeelException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        Path file = dir.resolve(FILE);
        Path key = key(file);
        Map<String, Object> owner = new LinkedHashMap<>();
        owner.put("pid", ProcessHandle.current().pid());
        owner.put("host", host());
        owner.put("started", Instant.now().toString());
        owner.put("purpose", purpose);
        Map<String, Object> other = HELD.putIfAbsent(key, owner);
        if (other != null) {
            throw busy(dir, other);
        }
        boolean acquired = false;
        try {
            for (int attempt = 0; attempt < 5; attempt++) {
                FolderLock lock = tryAcquire(dir, file, key, owner);
                if (lock != null) {
                    acquired = true;
                    return lock;
                }
            }
            throw busy(dir, readOwner(file));
        } finally {
            if (!acquired) {
                HELD.remove(key);
            }
        }
    }

    private static Path key(Path file) {
        try {
            return file.getParent().toRealPath().resolve(file.getFileName());
        } catch (IOException e) {
            return file.toAbsolutePath().normalize();
        }
    }

    /**
     * One attempt: the lock, or null when the file we locked was unlinked meanwhile (its previous holder deletes
     * it on release, and we may have opened it just before). The lock file is never opened a second time while
     * held: closing any descriptor of a file drops every POSIX lock this process holds on it.
     */
    private static FolderLock tryAcquire(Path dir, Path file, Path key, Map<String, Object> owner) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            Object opened = fileKey(file);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw busy(dir, readOwner(file));
            }
            // (a file system without file keys cannot tell; there the lock is taken as it is)
            if (opened != null && !opened.equals(fileKey(file))) {
                lock.release();
                ch.close();
                return null;
            }
            byte[] bytes = (Json.compact(owner) + "\n").getBytes(StandardCharsets.UTF_8);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(bytes), 0);
            ch.force(true);
            return new FolderLock(file, key, ch, lock);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new KeelException("cannot lock " + dir + " (" + e.getMessage() + "); check permissions", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The file's identity (device and inode on POSIX), read without opening it; null when it is gone. */
    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Who holds {@code dir} now, described for a message, or empty when nobody does. */
    public static Optional<String> holder(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Map<String, Object> mine = HELD.get(key(file));
        if (mine != null) {
            return Optional.of(describe(mine));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock probe;
            try {
                probe = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                probe = null;
            }
            if (probe != null) {
                probe.release();
                return Optional.empty(); // a stale lock file: its process is gone
            }
            return Optional.of(describe(readOwner(file)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("another process (" + e.getMessage() + ")");
        }
    }

    private static InvalidInputException busy(Path dir, Map<String, Object> owner) {
        return new InvalidInputException(dir + " is being written by " + describe(owner)
                + "; wait for that run to finish (or stop it), or choose another folder");
    }

    private static String describe(Map<String, Object> owner) {
        if (owner.isEmpty()) {
            return "another Keel run";
        }
        boolean here = host().equals(owner.get("host"));
        Object pid = owner.get("pid");
        boolean self = here && pid instanceof Number n && n.longValue() == ProcessHandle.current().pid();
        return (self ? "this process" : "keel process " + pid + " on " + (here ? "this host" : owner.get("host")))
                + " (" + owner.getOrDefault("purpose", "a run") + ", since " + owner.get("started") + ")";
    }

    private static Map<String, Object> readOwner(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? Map.of() : Json.parseObject(text, file.toString());
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a channel we failed to use; nothing to save
            }
        }
    }

    /** Releases the claim and removes the lock file. */
    @Override
    public void close() {
        release(file);
    }

    /** Releases a claim on a folder that was renamed to {@code movedTo} while it was held. */
    public void closeMoved(Path movedTo) {
        release(movedTo.resolve(FILE));
    }

    private void release(Path lockFile) {
        try {
            // deleting before releasing: a run that opened the old file meanwhile sees it unlinked and retries
            Files.deleteIfExists(lockFile);
        } catch (IOException ignored) {
            // a stale lock file is harmless: the next run takes it over
        } finally {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel next releases it anyway
            }
            closeQuietly(channel);
            HELD.remove(key);
        }
    }
}
