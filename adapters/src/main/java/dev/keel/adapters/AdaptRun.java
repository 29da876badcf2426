package dev.keel.adapters;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.train.TrainingStoppedException;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.FolderLock;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.OutputFolders;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.train.TrainingStop;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where one adaptation run writes, so that no crash or stop ever leaves a half-written model, and a stopped run
 * continues instead of starting over:
 * <ul>
 *   <li>The adapted folder is written into a hidden sibling of the output folder ({@code .NAME.partial}), locked
 *       for the run ({@link FolderLock}), and renamed to the output folder only when complete ({@link #publish}),
 *       as {@code KeelRuntime.importModel} does; a crash leaves either no output folder or a complete one.</li>
 *   <li>A run that is asked to stop writes a resume state into {@code .NAME.partial/resume/} (its trainable
 *       tensors, optimizer moments and loop state, under a fingerprint of the spec) and keeps the sibling. Running
 *       the same spec again continues from there; a spec with other settings is refused while the sibling holds
 *       another run's state, so a stopped run is never thrown away silently.</li>
 *   <li>A sibling without a resume state (a run that crashed, or failed on bad input) holds nothing anyone was
 *       told about, and the next run clears it.</li>
 * </ul>
 */
public final class AdaptRun implements AutoCloseable {
    public static final String RESUME = "resume";
    static final String STATE = "state.json";
    static final String FORMAT = "keel-adapt-resume";

    private final Path target;
    private final Path staging;
    private final FolderLock lock;
    private final String fingerprint;
    private final Map<String, Object> resumed;
    private boolean keep;
    private boolean published;

    private AdaptRun(Path target, Path staging, FolderLock lock, String fingerprint, Map<String, Object> resumed) {
        this.target = target;
        this.staging = staging;
        this.lock = lock;
        this.fingerprint = fingerprint;
        this.resumed = resumed;
        this.keep = resumed != null; // a failure while continuing a stopped run must not throw that run away
    }

    /**
     * Starts (or continues) a run writing {@code spec.outputDir()}. Fails before any work when the output
     * folder is a file or is not empty, or when another run holds it or its sibling.
     *
     * @param settings everything besides the spec that changes what the run computes (the backend, say)
     */
    public static AdaptRun open(AdaptationSpec spec, Object settings) {
        Path target = spec.outputDir().toAbsolutePath().normalize();
        OutputFolders.requireFresh(target, "output folder");
        Path staging = staging(target);
        OutputFolders.requireFolderPath(staging, "staging folder");
        String fingerprint = fingerprint(spec, settings);
        FolderLock lock = FolderLock.acquire(staging, "adaptation into " + target.getFileName());
        try {
            repair(staging);
            Map<String, Object> state = readState(staging);
            if (state != null && !fingerprint.equals(state.get("fingerprint"))) {
                throw new InvalidInputException(staging + " holds an adaptation into " + target + " that was stopped at "
                        + "step " + state.get("step") + " with other settings (base, data, method or training "
                        + "options); run it again with its original settings to finish it, or delete " + staging
                        + " to start over");
            }
            if (state == null) {
                clear(staging);
            }
            return new AdaptRun(target, staging, lock, fingerprint, state);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The hidden sibling an adaptation into {@code target} is staged in. */
    public static Path staging(Path target) {
        Path t = target.toAbsolutePath().normalize();
        return t.resolveSibling("." + t.getFileName() + ".partial");
    }

    /** Finishes a resume-state swap a killed run was in the middle of ({@link AtomicFiles#swapDirectory}). */
    private static void repair(Path staging) {
        Path current = staging.resolve(RESUME);
        try {
            for (String name : new String[] {RESUME + ".new", RESUME + ".old"}) {
                Path other = staging.resolve(name);
                if (!Files.exists(current.resolve(STATE)) && Files.exists(other.resolve(STATE))) {
                    AtomicFiles.deleteTree(current);
                    AtomicFiles.moveDirectory(other, current);
                }
                AtomicFiles.deleteTree(other);
            }
        } catch (IOException e) {
            throw new KeelException("cannot tidy " + staging + " after an interrupted run: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> readState(Path staging) {
        Path file = staging.resolve(RESUME).resolve(STATE);
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, Object> state = Json.readObject(file);
        if (!FORMAT.equals(state.get("format")) || !(state.get("step") instanceof Number)) {
            throw new CheckpointException(file + " is not an adaptation resume state; delete " + staging
                    + " to start over");
        }
        return state;
    }

    /** Removes what a crashed run left (nothing in it was acknowledged), keeping our lock file. */
    private static void clear(Path staging) {
        try (Stream<Path> entries = Files.list(staging)) {
            for (Path p : entries.toList()) {
                if (!p.getFileName().toString().equals(FolderLock.FILE)) {
                    if (Files.isDirectory(p)) {
                        AtomicFiles.deleteTree(p);
                    } else {
                        Files.delete(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new KeelException("cannot clear " + staging + " left by an earlier run: " + e.getMessage(), e);
        }
    }

    /** A digest of everything that decides what a run computes, so a resumed run is the run that stopped. */
    static String fingerprint(AdaptationSpec spec, Object settings) {
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("spec", spec.toString()); // every setting, the output folder included
        parts.put("train", fileFingerprint(spec.train()));
        parts.put("dev", fileFingerprint(spec.dev()));
        parts.put("reference", fileFingerprint(spec.reference()));
        parts.put("settings", String.valueOf(settings));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(Json.compact(parts).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new KeelException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A data file's digest; a missing one is refused later, by the reader, with its own message. */
    private static String fileFingerprint(Path file) {
        return file == null || !Files.isRegularFile(file) ? null : CorpusTokenizer.fingerprint(TextCorpus.of(file));
    }

    /** Where the adapted folder is written until {@link #publish}. */
    public Path dir() {
        return staging;
    }

    /** The output folder. */
    public Path target() {
        return target;
    }

    /** The state a stopped run saved, when this run continues one. */
    public Optional<Map<String, Object>> resumed() {
        return Optional.ofNullable(resumed);
    }

    /** The step the resumed state was saved at, or 0 for a new run. */
    public int resumedStep() {
        return resumed == null ? 0 : ((Number) resumed.get("step")).intValue();
    }

    /** Tensors a stopped run saved under {@code name} (e.g. "trainable", "optimizer"). */
    public Map<String, Tensor> resumedTensors(String name) {
        Path file = staging.resolve(RESUME).resolve(name + ".safetensors");
        if (resumed == null || !Files.exists(file)) {
            throw new CheckpointException("the resume state in " + staging + " has no " + file.getFileName()
                    + "; delete " + staging + " to start over");
        }
        return Safetensors.read(file).tensors();
    }

    /**
     * Saves a resume state (replacing the previous one in one rename) and marks the staging folder to be kept:
     * the run can now stop and continue later.
     *
     * @param state   the loop's own state (step at least), as JSON values
     * @param tensors named tensor files, e.g. "trainable" and "optimizer"
     */
    public void saveResume(TrainingStop stop, Map<String, Object> state, Map<String, List<Tensor>> tensors) {
        stop.write(() -> {
            Path fresh = staging.resolve(RESUME + ".new");
            try {
                AtomicFiles.deleteTree(fresh);
                Files.createDirectories(fresh);
                for (Map.Entry<String, List<Tensor>> e : tensors.entrySet()) {
                    Safetensors.write(fresh.resolve(e.getKey() + ".safetensors"), e.getValue(), Map.of());
                }
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("format", FORMAT);
                json.put("fingerprint", fingerprint);
                json.putAll(state);
                AtomicFiles.writeString(fresh.resolve(STATE), Json.pretty(json) + "\n");
                AtomicFiles.swapDirectory(fresh, staging.resolve(RESUME));
            } catch (IOException e) {
                throw new KeelException("cannot save the adaptation's resume state in " + staging + ": "
                        + e.getMessage(), e);
            }
        });
        keep = true;
    }

    /** The exception that ends a run stopped at {@code step}, after {@link #saveResume}. */
    public TrainingStoppedException stopped(TrainingStop stop, int step, int maxSteps) {
        return stop.stopped("adaptation stopped at step " + step + " of " + maxSteps + " as asked; the run is saved in "
                + staging + " and continues when the same adaptation runs again", step, maxSteps, staging);
    }

    /** Moves the finished folder into place (one rename) and returns it. */
    public Path publish() {
        try {
            AtomicFiles.deleteTree(staging.resolve(RESUME));
            AtomicFiles.deleteTree(staging.resolve(RESUME + ".new"));
            AtomicFiles.deleteTree(staging.resolve(RESUME + ".old"));
            AtomicFiles.deleteLeftovers(staging);
            if (!OutputFolders.isAbsentOrEmpty(target)) {
                throw new InvalidInputException("output folder " + target + " was filled by something else while this "
                        + "run worked; the adapted model stays in " + staging + " (Keel never overwrites a model)");
            }
            AtomicFiles.moveDirectory(staging, target);
        } catch (IOException e) {
            throw new KeelException("cannot move the adapted model from " + staging + " to " + target + ": "
                    + e.getMessage(), e);
        }
        published = true;
        keep = true;
        lock.closeMoved(target);
        return target;
    }

    /** Releases the run; a run that neither finished nor saved a resume state leaves nothing behind. */
    @Override
    public void close() {
        if (published) {
            return;
        }
        try {
            if (!keep) {
                clear(staging);
            }
        } catch (KeelException ignored) {
            // a leftover staging folder is cleared by the next run
        } finally {
            lock.close();
        }
        if (!keep) {
            try {
                Files.deleteIfExists(staging);
            } catch (IOException ignored) {
                // not empty: another run took it meanwhile
            }
        }
    }
}
