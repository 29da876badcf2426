package dev.keel.spi;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.spi.checkpoint.AtomicFiles;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * Keel's one cache root, and the folders under it: tokenized corpora ({@link #tokens()}), graphs a serving
 * engine derives from a folder ({@link #engine(String)}, e.g. ONNX graphs exported from safetensors), portable
 * imports of builtin models ({@link #models()}) and merged LoRA folders ({@link #merged()}). Everything under it
 * can be deleted at any time and is rebuilt on the next use.
 *
 * <p>Where it is: what the host configured ({@code KeelRuntime.builder().cache(dir)}, {@code KeelModule}), else
 * the system property {@value #PROPERTY}, else the environment variable {@value #ENVIRONMENT}, else
 * {@code $XDG_CACHE_HOME/keel}, else {@code ~/.cache/keel}. A backend receives the root through
 * {@link BackendProvider#withCache(KeelCache)}; it never reads JVM-wide settings of its own.
 *
 * <p>Entries are written so that several JVMs can fill the same cache at once: a file entry is written to a
 * temporary file and renamed into place ({@link AtomicFiles}); a folder entry ({@link #entry}) is built in a
 * temporary folder beside its final name and renamed into place in one step, and when another process got there
 * first its (identical) folder is kept and ours is deleted. A reader therefore only ever sees complete entries.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class KeelCache {
    /** The system property naming the cache root. */
    public static final String PROPERTY = "keel.cache";
    /** The environment variable naming the cache root when the property is not set. */
    public static final String ENVIRONMENT = "KEEL_CACHE";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Path root;

    private KeelCache(Path root) {
        this.root = root;
    }

    /**
     * A cache rooted at {@code root} (created on first write).
     *
     * @throws InvalidInputException when {@code root} is null
     */
    public static KeelCache at(Path root) {
        if (root == null) {
            throw new InvalidInputException("cache root is null; pass a folder, or leave it out for -D" + PROPERTY
                    + ", " + ENVIRONMENT + " or ~/.cache/keel");
        }
        return new KeelCache(root.toAbsolutePath().normalize());
    }

    /** The cache the JVM's configuration names: {@value #PROPERTY}, {@value #ENVIRONMENT}, XDG, home. */
    public static KeelCache fromConfiguration() {
        return fromConfiguration(System::getProperty, System::getenv);
    }

    /** As {@link #fromConfiguration()}, with explicit sources (for tests and embedding). */
    public static KeelCache fromConfiguration(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String p = properties.apply(PROPERTY);
        if (p != null && !p.isBlank()) {
            return at(Path.of(p.trim()));
        }
        String e = environment.apply(ENVIRONMENT);
        if (e != null && !e.isBlank()) {
            return at(Path.of(e.trim()));
        }
        String xdg = environment.apply("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return at(Path.of(xdg.trim(), "keel"));
        }
        return at(Path.of(properties.apply("user.home"), ".cache", "keel"));
    }

    public Path root() {
        return root;
    }

    /** Token arrays of corpora, one file per corpus and tokenizer. */
    public Path tokens() {
        return root.resolve("tokens");
    }

    /** Portable folders imported from builtin models, one folder per builtin name. */
    public Path models() {
        return root.resolve("models");
    }

    /** Plain folders merged from LoRA adapter folders, for engines that serve no adapters. */
    public Path merged() {
        return root.resolve("merged");
    }

    /** What one engine derives from model folders (its own graph format, say), under its backend name. */
    public Path engine(String backendName) {
        return root.resolve(requireName(backendName, "engine name"));
    }

    /**
     * The folder entry {@code area/key}, built once: when it does not exist yet, {@code build} fills a fresh
     * temporary folder beside it, which is then renamed into place. A build that throws leaves nothing behind;
     * when another JVM finished the same entry first, its folder is returned and this one discarded.
     *
     * @param area  a folder of this cache, e.g. {@link #merged()}
     * @param key   the entry's name inside it (letters, digits, dot, dash, underscore)
     * @param complete a file whose presence marks a finished entry (folders written by older versions without it
     *              are rebuilt)
     * @param build fills the folder it is given
     * @throws KeelException when the folder cannot be created or moved (the message names it)
     */
    public Path entry(Path area, String key, String complete, Consumer<Path> build) {
        Path dir = area.resolve(requireName(key, "cache key"));
        if (Files.exists(dir.resolve(complete))) {
            return dir;
        }
        Path tmp = null;
        try {
            Files.createDirectories(area);
            tmp = Files.createTempDirectory(area, "." + key + ".");
            build.accept(tmp);
            if (Files.exists(dir) && !Files.exists(dir.resolve(complete))) {
                // a partial entry left by an older Keel (written in place): replace it
                AtomicFiles.deleteTree(dir);
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            } catch (AtomicMoveNotSupportedException e) {
                throw new KeelException("the cache folder " + area + " cannot rename folders atomically ("
                        + e.getMessage() + "); put the cache (-D" + PROPERTY + ") on a local file system", e);
            } catch (IOException raced) {
                // rename(2) onto a non-empty folder fails (FileAlreadyExists, DirectoryNotEmpty, or a plain
                // FileSystemException): another process built the same entry first, and its folder is as good as ours
                if (!Files.exists(dir.resolve(complete))) {
                    throw raced;
                }
            }
            AtomicFiles.forceDirectory(area);
            return dir;
        } catch (IOException e) {
            throw new KeelException("cannot write the cache entry " + dir + ": " + e.getMessage()
                    + "; check free space and permissions, or point -D" + PROPERTY + " at another folder", e);
        } finally {
            if (tmp != null) {
                try {
                    AtomicFiles.deleteTree(tmp);
                } catch (IOException ignored) {
                    // a stray temporary folder never becomes an entry; it only takes space until deleted
                }
            }
        }
    }

    private static String requireName(String name, String what) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidInputException(what + " '" + name + "' is not a plain file name; use letters, digits, "
                    + "'.', '-' and '_'");
        }
        return name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeelCache c && c.root.equals(root);
    }

    @Override
    public int hashCode() {
        return root.hashCode();
    }

    @Override
    public String toString() {
        return "KeelCache[" + root + "]";
    }
}
