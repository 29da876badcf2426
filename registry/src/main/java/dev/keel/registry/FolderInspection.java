package dev.keel.registry;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.CheckpointException;
import dev.keel.api.KeelException;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a folder offered for registration is: checked to be a model folder of one of the four kinds before a
 * byte is copied, with its keel.json read as a tree (numbers as written) and the base it names.
 *
 * @param kind      pretrained, full, lora or head
 * @param family    the architecture family from config.json
 * @param keel      keel.json, or null when the folder has none (a Hugging Face download, say)
 * @param base      the base as the folder names it (keel.json's {@code base}, or PEFT's), or null
 * @param baseFile  the file that names the base ({@code keel.json} or {@code adapter_config.json}), or null
 */
record FolderInspection(String kind, String family, JsonObject keel, String base, String baseFile) {
    static final String PRETRAINED = "pretrained";
    static final String FULL = "full";
    static final String LORA = "lora";
    static final String HEAD = "head";
    private static final String WHAT = "a model folder (config.json plus model.safetensors, head.safetensors or "
            + "adapter_model.safetensors), as keel pretrain, keel adapt or keel import write";

    /** True for kinds that cannot be served without their base. */
    boolean needsBase() {
        return kind.equals(LORA) || kind.equals(HEAD);
    }

    static FolderInspection of(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new CheckpointException(folder + (Files.exists(folder) ? " is a file" : " does not exist")
                    + "; register " + WHAT);
        }
        if (!Files.isRegularFile(folder.resolve(ModelFolder.CONFIG))) {
            throw new CheckpointException(folder + " is not a model folder: it has no " + ModelFolder.CONFIG
                    + "; register " + WHAT);
        }
        String family;
        try {
            family = ModelFolder.readConfig(folder).family().modelType();
        } catch (KeelException e) {
            throw new CheckpointException(folder + "'s config.json is not one Keel reads (" + e.getMessage()
                    + "); register " + WHAT, e);
        }
        JsonObject keel = Files.exists(folder.resolve(ModelFolder.KEEL)) ? tree(folder.resolve(ModelFolder.KEEL)) : null;
        String kind;
        String base = JsonTrees.string(keel, "base");
        String baseFile = base != null ? ModelFolder.KEEL : null;
        switch (AdaptedModels.kind(folder)) {
            case HEAD -> kind = HEAD;
            case LORA -> {
                require(folder, LoraAdapter.WEIGHTS, "a LoRA folder");
                kind = LORA;
                if (base == null) {
                    base = JsonTrees.string(tree(folder.resolve(LoraAdapter.CONFIG)), "base_model_name_or_path");
                    baseFile = base != null ? LoraAdapter.CONFIG : null;
                }
            }
            default -> {
                require(folder, ModelFolder.WEIGHTS, "a model folder");
                String method = JsonTrees.string(keel, "method");
                // an import (of a builtin) or a pre-training run is a starting point, even when it names a source
                boolean fromScratch = "pretrain".equals(method) || "import".equals(method);
                kind = !fromScratch && (base != null || "full".equals(method) || "lora-merged".equals(method))
                        ? FULL : PRETRAINED;
            }
        }
        if ((kind.equals(LORA) || kind.equals(HEAD)) && base == null) {
            throw new CheckpointException(folder + " is a " + kind + " folder that does not name its base model "
                    + "(keel.json 'base'), so it could never be opened; re-run keel adapt to write it");
        }
        return new FolderInspection(kind, family, keel, base, baseFile);
    }

    private static void require(Path folder, String file, String what) {
        if (!Files.isRegularFile(folder.resolve(file))) {
            throw new CheckpointException(folder + " has config.json but no " + file + ", so it is not " + what
                    + " Keel can open; register " + WHAT);
        }
    }

    static JsonObject tree(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + " is not valid JSON (" + e.getMessage() + "); restore it or "
                    + "re-create the model folder", e);
        }
    }
}
