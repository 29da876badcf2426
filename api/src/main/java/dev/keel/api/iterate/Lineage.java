package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Where a registered version came from, read from its {@code keel.json} when it was registered.
 *
 * @param baseModel    the model it was adapted from as {@code keel.json} named it (a folder path or
 *                     {@code builtin:NAME}), or null for a model trained from scratch or imported
 * @param baseVersion  the registry reference of that base ({@code registry:NAME/VERSION}) when the base is
 *                     kept in the registry (always so for LoRA and head versions whose base is a folder), else null
 * @param baseSha256   the base's content sha-256 when the base is a folder, else null
 * @param method       how it was made: pretrain, import, full, lora, head (or what keel.json says)
 * @param task         the task it was adapted for (classify, causal-lm), or null
 * @param data         training data fingerprints, name to sha-256 (e.g. {@code train} and {@code dev} files)
 * @param training     the training settings and summary (learning rate, steps, seed, ...)
 * @param ancestors    earlier models in its line, nearest first, as keel.json lists them
 * @param createdBy    the backend that wrote the folder
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record Lineage(String baseModel, String baseVersion, String baseSha256, String method, String task,
        Map<String, String> data, Map<String, Object> training, List<String> ancestors, String createdBy) {

    public Lineage {
        data = data == null ? Map.of() : Map.copyOf(data);
        training = training == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(training));
        ancestors = ancestors == null ? List.of() : List.copyOf(ancestors);
    }

    /** A lineage that knows nothing (a folder without keel.json). */
    public static Lineage unknown() {
        return new Lineage(null, null, null, null, null, Map.of(), Map.of(), List.of(), null);
    }
}
