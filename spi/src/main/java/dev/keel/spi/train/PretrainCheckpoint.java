package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import dev.keel.api.KeelException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Keel's one resume-state format for pre-training, the same for every engine, so a run started on one engine
 * continues on another. It lives in {@value #DIR}/ inside the run's output folder:
 * <pre>
 *   resume/config.json, model.safetensors, tokenizer, keel.json   the latest weights, a portable model folder
 *   resume/optimizer.safetensors   AdamW's moments, NAME.exp_avg and NAME.exp_avg_sq (PyTorch's names)
 *   resume/state.json              {"format": "keel-pretrain-resume", "version": 1, "step", "data_state",
 *                                   "best_val_loss", "seed", "corpus", "architecture", "backend"}
 * </pre>
 * {@code data_state} is the batch sampler's position ({@link SplitMix64}), so a resumed run draws exactly the
 * batches the uninterrupted run would have. A new state is written into {@code resume.new/} and swapped in
 * through {@code resume.old/}, so a crash at any moment leaves one complete state ({@link #find} falls back to
 * {@code resume.old}).
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class PretrainCheckpoint {
    public static final String DIR = "resume";
    public static final String STATE = "state.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String FORMAT = "keel-pretrain-resume";
    public static final int VERSION = 1;
    static final String FIRST_MOMENT = ".exp_avg";
    static final String SECOND_MOMENT = ".exp_avg_sq";

    private PretrainCheckpoint() { }

    /**
     * What a resume state records beside the tensors.
     *
     * @param step         optimisation steps taken
     * @param dataState    the batch sampler's state after those steps
     * @param bestValLoss  the best validation estimate so far (infinite when none)
     * @param seed         the run's seed
     * @param corpus       the corpus fingerprint (sha-256)
     * @param architecture the model's config.json
     * @param backend      the engine that wrote it
     */
    public record State(int step, long dataState, double bestValLoss, long seed, String corpus,
            Map<String, Object> architecture, String backend) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("version", VERSION);
            m.put("step", step);
            m.put("data_state", dataState);
            m.put("best_val_loss", Double.isFinite(bestValLoss) ? bestValLoss : null);
            m.put("seed", seed);
            m.put("corpus", corpus);
            m.put("backend", backend);
            m.put("architecture", architecture);
            return m;
        }
    }

    /** A resume state read back and checked: every weight has both moments, of its shape. */
    public record Loaded(Path dir, State state, Gpt2Config config, Map<String, Tensor> weights,
            Map<String, Tensor> moments, Tokenizer tokenizer) { }

    /** The folder holding the latest complete resume state in {@code out}, if there is one. */
    public static Optional<Path> find(Path out) {
        for (String name : List.of(DIR, DIR + ".old")) {
            Path dir = out.resolve(name);
            if (Files.exists(dir.resolve(STATE))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    /** The step a resume state was saved at, read cheaply (for messages), or empty when unreadable. */
    public static Optional<Integer> savedStep(Path out) {
        try {
            return find(out).map(dir -> readState(dir).step());
        } catch (KeelException e) {
            return Optional.empty();
        }
    }

    public static Loaded read(Path dir) {
        State state = readState(dir);
        ModelConfig mc = ModelFolder.readConfig(dir);
        if (!(mc instanceof Gpt2Config config)) {
            throw new CheckpointException(dir + " holds a " + mc.family() + " model; a pre-training resume state "
                    + "holds gpt2; start without --resume");
        }
        Map<String, Tensor> weights = ModelFolder.readWeights(dir).tensors();
        Path optimizer = dir.resolve(OPTIMIZER);
        if (!Files.exists(optimizer)) {
            throw new CheckpointException(dir + " has no " + OPTIMIZER + " (AdamW's moments); the resume state is "
                    + "incomplete: start without --resume in a new folder");
        }
        Map<String, Tensor> moments;
        try {
            moments = Safetensors.read(optimizer).tensors();
        } catch (CheckpointException e) {
            throw new CheckpointException(e.getMessage() + " (" + OPTIMIZER + ": the optimizer state of the run to "
                    + "resume)", e);
        }
        for (Map.Entry<String, Tensor> w : weights.entrySet()) {
            for (String suffix : List.of(FIRST_MOMENT, SECOND_MOMENT)) {
                Tensor m = moments.get(w.getKey() + suffix);
                if (m == null || !Arrays.equals(m.shape(), w.getValue().shape())) {
                    throw new CheckpointException(optimizer + " lacks a matching moment " + w.getKey() + suffix
                            + "; the resume state is corrupt or from another model: start without --resume");
                }
            }
        }
        return new Loaded(dir, state, config, weights, moments, ModelFolder.readTokenizer(dir));
    }

    static State readState(Path dir) {
        Path file = dir.resolve(STATE);
        Map<String, Object> m;
        try {
            m = Json.readObject(file);
        } catch (CheckpointException e) {
            throw new CheckpointException(file + " is not a valid resume state (" + e.getMessage() + "); start "
                    + "without --resume in a new folder, or restore the folder", e);
        }
        // Keel 0.1's djl pre-trainer wrote camelCase keys; they mean the same
        Object format = m.get("format");
        if (format != null && !FORMAT.equals(format)) {
            throw new CheckpointException(file + " has format '" + format + "', not " + FORMAT);
        }
        if (m.get("version") instanceof Number v && v.intValue() > VERSION) {
            throw new CheckpointException(file + " is version " + v + " of the resume format; this Keel reads up to "
                    + VERSION + ": resume with a newer Keel");
        }
        Number step = number(m, file, "step", "step");
        Number data = number(m, file, "data_state", "dataState");
        Number seed = number(m, file, "seed", "seed");
        Object best = m.containsKey("best_val_loss") ? m.get("best_val_loss") : m.get("bestValLoss");
        Object corpus = m.get("corpus");
        if (!(m.get("architecture") instanceof Map<?, ?> arch) || !(corpus instanceof String c)
                || step.intValue() < 0) {
            throw new CheckpointException(file + " is incomplete (it needs step, data_state, seed, corpus and "
                    + "architecture); start without --resume in a new folder");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> architecture = (Map<String, Object>) arch;
        return new State(step.intValue(), data.longValue(),
                best instanceof Number b ? b.doubleValue() : Double.POSITIVE_INFINITY, seed.longValue(), c,
                architecture, String.valueOf(m.getOrDefault("backend", "djl")));
    }

    private static Number number(Map<String, Object> m, Path file, String key, String oldKey) {
        Object v = m.containsKey(key) ? m.get(key) : m.get(oldKey);
        if (!(v instanceof Number n)) {
            throw new CheckpointException(file + " has no number '" + key + "'; the resume state is incomplete: "
                    + "start without --resume in a new folder");
        }
        return n;
    }

    /**
     * Writes a complete resume state into {@code out/resume}, replacing the previous one in one rename.
     *
     * @param moments AdamW's moments with {@link PretrainEngine.Model#moments()}'s names
     */
    public static void write(Path out, Gpt2Config config, List<Tensor> weights, List<Tensor> moments,
            Tokenizer tokenizer, KeelMetadata metadata, State state) {
        Path fresh = out.resolve(DIR + ".new");
        try {
            AtomicFiles.deleteTree(fresh);
            ModelFolder.write(fresh, config, weights, tokenizer, metadata);
            Safetensors.write(fresh.resolve(OPTIMIZER), moments, Map.of("step", Integer.toString(state.step())));
            AtomicFiles.writeString(fresh.resolve(STATE), Json.pretty(state.toJson()) + "\n");
            AtomicFiles.swapDirectory(fresh, out.resolve(DIR));
        } catch (IOException e) {
            throw new KeelException("cannot write the resume state in " + out + ": " + e.getMessage()
                    + "; check free disk space (the previous resume state is kept)", e);
        }
    }

    /**
     * Repairs what a killed run left: finishes a swap it was in the middle of (a complete {@code resume.new/}
     * whose {@code resume/} is gone), then removes a {@code resume.new/} never completed and temporary files
     * in the output and resume folders. Call only while holding the output folder's lock.
     */
    public static void deleteLeftovers(Path out) {
        Path current = out.resolve(DIR);
        Path fresh = out.resolve(DIR + ".new");
        try {
            if (!Files.exists(current.resolve(STATE)) && Files.exists(fresh.resolve(STATE))) {
                AtomicFiles.deleteTree(current);
                AtomicFiles.moveDirectory(fresh, current);
            }
            AtomicFiles.deleteTree(fresh);
            AtomicFiles.deleteLeftovers(out);
            AtomicFiles.deleteLeftovers(out.resolve(DIR));
            if (Files.exists(out.resolve(DIR).resolve(STATE))) {
                AtomicFiles.deleteTree(out.resolve(DIR + ".old"));
            }
        } catch (IOException e) {
            throw new KeelException("cannot tidy " + out + " after an interrupted run: " + e.getMessage(), e);
        }
    }
}
