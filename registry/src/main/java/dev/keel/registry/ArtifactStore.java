package dev.keel.registry;

import dev.keel.api.CheckpointException;
import dev.keel.api.KeelException;
import dev.keel.spi.checkpoint.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The files of registered versions, under {@code ROOT/NAME/VERSION/}. A registration copies into
 * {@code ROOT/.staging/ID/} (hashing as it copies, every file forced to disk and made read-only), then moves
 * the folder into place inside the database transaction that records it. What a crash leaves behind is
 * recognisable and removed on the next open: a staging folder whose owner's lock is free, or a version
 * folder without a committed row.
 */
final class ArtifactStore {
    static final String STAGING = ".staging";
    static final String TRASH = ".trash";
    private static final int BUFFER = 1 << 20;

    /** A file's hash and size. */
    record FileHash(String sha256, long size) { }

    private final Path root;

    ArtifactStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root.resolve(STAGING));
        } catch (IOException e) {
            throw new KeelException("cannot create the artifact store " + this.root + " (" + e.getMessage()
                    + "); choose a writable folder (on a file system every registry host mounts)", e);
        }
    }

    Path root() {
        return root;
    }

    Path versionDir(String name, int version) {
        return root.resolve(name).resolve(Integer.toString(version));
    }

    /** A staging folder owned by this process until closed (an OS file lock marks it as live). */
    Staging stage() {
        String id = UUID.randomUUID().toString();
        Path dir = root.resolve(STAGING).resolve(id);
        Path lockFile = root.resolve(STAGING).resolve(id + ".lock");
        try {
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileLock lock = ch.lock();
            Files.createDirectories(dir);
            return new Staging(dir, lockFile, ch, lock);
        } catch (IOException e) {
            throw new KeelException("cannot create a staging folder in " + root + ": " + e.getMessage(), e);
        }
    }

    /** A folder a registration copies into; closing removes what was not published and releases the lock. */
    final class Staging implements AutoCloseable {
        private final Path dir;
        private final Path lockFile;
        private final FileChannel channel;
        private final FileLock lock;

        private Staging(Path dir, Path lockFile, FileChannel channel, FileLock lock) {
            this.dir = dir;
            this.lockFile = lockFile;
            this.channel = channel;
            this.lock = lock;
        }

        Path dir() {
            return dir;
        }

        @Override
        public void close() {
            try {
                AtomicFiles.deleteTree(dir);
                lock.release();
                channel.close();
                Files.deleteIfExists(lockFile);
            } catch (IOException e) {
                // left for the next open's clean-up, which sees the lock is free
            }
        }
    }

    /**
     * Copies every regular file of {@code source} (recursively; names starting with '.' are skipped, as
     * editors' and file systems' litter) into {@code target}, hashing the bytes as they are written. A file
     * named in {@code replacements} gets that content instead. Returns the hashes by '/'-separated path.
     */
    Map<String, FileHash> copy(Path source, Path target, Map<String, byte[]> replacements) {
        Map<String, FileHash> out = new TreeMap<>();
        try {
            List<Path> files = files(source);
            int half = files.size() / 2;
            for (int i = 0; i < files.size(); i++) {
                if (i == half) {
                    PausePoints.reach(PausePoints.REGISTER_COPYING);
                }
                Path file = files.get(i);
                String rel = relative(source, file);
                Path dest = target.resolve(rel);
                Files.createDirectories(dest.getParent());
                MessageDigest md = sha256();
                long size;
                byte[] replaced = replacements.get(rel);
                try (FileChannel ch = FileChannel.open(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                     OutputStream os = java.nio.channels.Channels.newOutputStream(ch)) {
                    if (replaced != null) {
                        os.write(replaced);
                        md.update(replaced);
                        size = replaced.length;
                    } else {
                        size = 0;
                        byte[] buf = new byte[BUFFER];
                        try (InputStream in = Files.newInputStream(file)) {
                            for (int n; (n = in.read(buf)) > 0; ) {
                                os.write(buf, 0, n);
                                md.update(buf, 0, n);
                                size += n;
                            }
                        }
                    }
                    os.flush();
                    ch.force(true);
                }
                dest.toFile().setWritable(false, false);
                out.put(rel, new FileHash(HexFormat.of().formatHex(md.digest()), size));
            }
            try (Stream<Path> dirs = Files.walk(target)) {
                dirs.filter(Files::isDirectory).forEach(AtomicFiles::forceDirectory);
            }
            return out;
        } catch (IOException e) {
            throw new KeelException("cannot copy " + source + " into the registry's artifact store " + root + ": "
                    + e.getMessage() + "; nothing was registered", e);
        }
    }

    /** Hashes every regular file under {@code folder} (names starting with '.' included when {@code all}). */
    Map<String, FileHash> hash(Path folder, boolean all) {
        Map<String, FileHash> out = new TreeMap<>();
        try {
            for (Path file : all ? allFiles(folder) : files(folder)) {
                out.put(relative(folder, file), hashFile(file));
            }
            return out;
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + folder + ": " + e.getMessage(), e);
        }
    }

    static FileHash hashFile(Path file) throws IOException {
        MessageDigest md = sha256();
        long size = 0;
        byte[] buf = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
                size += n;
            }
        }
        return new FileHash(HexFormat.of().formatHex(md.digest()), size);
    }

    /** The content hash of a version: sha-256 over the sorted lines {@code path<TAB>sha256<LF>}. */
    static String contentHash(Map<String, String> fileHashes) {
        MessageDigest md = sha256();
        new TreeMap<>(fileHashes).forEach((path, sha) -> md.update((path + "\t" + sha + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Moves a staged folder to {@code target}. Called under the registry's write lock, so a folder already at
     * the target has no committed row (a crash left it) and is cleared first.
     */
    void publish(Path staged, Path target) {
        try {
            if (Files.exists(target)) {
                remove(target);
            }
            Files.createDirectories(target.getParent());
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.forceDirectory(target.getParent());
        } catch (FileAlreadyExistsException e) {
            throw new KeelException("cannot move the new version into " + target + ": it appeared meanwhile", e);
        } catch (IOException e) {
            throw new KeelException("cannot move the new version into " + target + ": " + e.getMessage(), e);
        }
    }

    /** Removes a folder: renamed into the trash first (one atomic step), then deleted. */
    void remove(Path dir) {
        try {
            Path trash = root.resolve(TRASH);
            Files.createDirectories(trash);
            Path moved = trash.resolve(UUID.randomUUID().toString());
            Files.move(dir, moved, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.deleteTree(moved);
        } catch (IOException e) {
            throw new KeelException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Deletes staging folders whose owner died (lock free) and whatever the trash still holds. */
    int cleanStaging() {
        int removed = 0;
        try {
            AtomicFiles.deleteTree(root.resolve(TRASH));
            List<Path> entries;
            try (Stream<Path> st = Files.list(root.resolve(STAGING))) {
                entries = st.toList();
            }
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String id = file.endsWith(".lock") ? file.substring(0, file.length() - ".lock".length()) : file;
                Path dir = entry.resolveSibling(id);
                Path lockFile = entry.resolveSibling(id + ".lock");
                if (!Files.exists(entry) || ownerAlive(lockFile)) {
                    continue; // handled with its pair already, or a registration in progress
                }
                AtomicFiles.deleteTree(dir);
                Files.deleteIfExists(lockFile);
                removed++;
            }
        } catch (IOException e) {
            // clean-up is best effort: what is left is retried on the next open and is never visible
        }
        return removed;
    }

    private static boolean ownerAlive(Path lockFile) {
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this JVM holds it: a registration in progress here
        } catch (IOException e) {
            return true;
        }
    }

    /** The NAME/VERSION folders on disk (for finding folders a crash left without a committed row). */
    List<Map.Entry<String, Integer>> versionFolders() {
        List<Map.Entry<String, Integer>> out = new ArrayList<>();
        try (Stream<Path> names = Files.list(root)) {
            for (Path n : names.filter(Files::isDirectory).toList()) {
                String name = n.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                try (Stream<Path> versions = Files.list(n)) {
                    for (Path v : versions.filter(Files::isDirectory).toList()) {
                        String text = v.getFileName().toString();
                        if (text.matches("[1-9][0-9]{0,8}")) {
                            out.add(Map.entry(name, Integer.parseInt(text)));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new KeelException("cannot list the artifact store " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static List<Path> files(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).filter(p -> !hidden(folder.relativize(p))).sorted().toList();
        }
    }

    private static List<Path> allFiles(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(p -> !Files.isDirectory(p)).sorted().toList();
        }
    }

    static String relative(Path folder, Path file) {
        return folder.relativize(file).toString().replace('\\', '/');
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new dev.keel.api.KeelException("SHA-256 is missing from this JVM; every Java platform has it", e);
        }
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
