package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.CheckpointException;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Keel's portable model folder, in the Hugging Face layout:
 * <pre>
 *   config.json          architecture, with model_type (Hugging Face keys)
 *   model.safetensors    weights with Hugging Face tensor names and layouts
 *   tokenizer.json       a Hugging Face tokenizer, or keel-tokenizer.json for Keel's char/byte tokenizers
 *   keel.json            Keel metadata: lineage, backend, training summary, data fingerprints, metrics
 * </pre>
 * Every file is written atomically; {@code keel.json} is written last, so a folder whose keel.json is
 * present is complete.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class ModelFolder {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String KEEL = "keel.json";

    private ModelFolder() { }

    public static Path requireFolder(Path dir) {
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CheckpointException(dir + " is a file, not a model folder; pass the folder that holds "
                    + CONFIG + " and " + WEIGHTS + " (written by 'keel pretrain', 'keel adapt' or 'keel import')");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            String builtin = dir != null && dir.toString().startsWith("builtin:")
                    ? " (to open a builtin model, pass ModelRef.parse(\"" + dir + "\") or Keel.open(\"" + dir
                            + "\") rather than a path)"
                    : "";
            throw new CheckpointException("model folder " + dir + " does not exist" + builtin + "; pass a folder "
                    + "written by 'keel pretrain' or 'keel adapt', or a Hugging Face folder with config.json and "
                    + "model.safetensors");
        }
        if (!Files.exists(dir.resolve(CONFIG))) {
            throw new CheckpointException(dir + " has no " + CONFIG + "; it is not a model folder");
        }
        return dir;
    }

    /**
     * Checks that a folder is a model every backend can open, as opening it to evaluate would: its config parses,
     * its tokenizer loads and fits the vocabulary, and its weights are readable (a gpt2 folder's also have every
     * tensor at its shape). Writers of derived folders (export) call it so they never copy a broken model.
     */
    public static ModelConfig requireComplete(Path dir) {
        ModelConfig config = readConfig(dir);
        Tokenizer tokenizer = readTokenizer(dir);
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new CheckpointException(dir + "'s tokenizer has " + tokenizer.vocabSize() + " tokens but the model's "
                    + "vocabulary has " + config.vocabSize() + "; the tokenizer and config.json come from different "
                    + "models: restore the model's own tokenizer");
        }
        if (!Files.exists(dir.resolve(WEIGHTS))) {
            throw new CheckpointException(dir + " has no " + WEIGHTS + "; it is not a complete model folder");
        }
        Safetensors.Contents weights = readWeights(dir);
        if (config instanceof dev.keel.api.model.Gpt2Config g) {
            Gpt2Layout.normalize(weights.tensors(), g);
        }
        return config;
    }

    public static ModelConfig readConfig(Path dir) {
        requireFolder(dir);
        return ModelConfig.fromHfConfig(Json.readObject(dir.resolve(CONFIG)));
    }

    public static Safetensors.Contents readWeights(Path dir) {
        return Safetensors.read(requireFolder(dir).resolve(WEIGHTS));
    }

    public static Tokenizer readTokenizer(Path dir) {
        return Tokenizers.load(requireFolder(dir));
    }

    /** The folder's metadata, or a minimal record for folders that did not come from Keel. */
    public static KeelMetadata readMetadata(Path dir) {
        Path file = dir.resolve(KEEL);
        if (!Files.exists(file)) {
            return KeelMetadata.create("unknown", "import");
        }
        try {
            return Json.gson().fromJson(Files.readString(file), KeelMetadata.class);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + " is not valid Keel metadata (" + e.getMessage()
                    + "); delete it to serve the weights without lineage, or restore it", e);
        }
    }

    public static void writeConfig(Path dir, ModelConfig config) {
        AtomicFiles.writeString(dir.resolve(CONFIG), Json.pretty(config.toHfConfig()) + "\n");
    }

    public static void writeMetadata(Path dir, KeelMetadata metadata) {
        AtomicFiles.writeString(dir.resolve(KEEL), Json.pretty(metadata) + "\n");
    }

    /**
     * Writes a complete model folder: config, weights, tokenizer, then metadata last. Each file is
     * replaced atomically, so a reader sees either the old or the new version of each.
     */
    public static void write(Path dir, ModelConfig config, Collection<Tensor> tensors, Tokenizer tokenizer,
            KeelMetadata metadata) {
        if (config.vocabSize() <= 0) {
            throw new dev.keel.api.InvalidInputException("a model folder needs its vocabulary size; the config has "
                    + config.vocabSize() + " (set it from the tokenizer, e.g. Gpt2Config.withVocabSize)");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CheckpointException("cannot create model folder " + dir + ": " + e.getMessage(), e);
        }
        writeConfig(dir, config);
        Safetensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        if (tokenizer != null) {
            Tokenizers.save(tokenizer, dir);
        }
        writeMetadata(dir, metadata);
    }
}
