package dev.keel.adapters;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.infer.EventRelay;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The three kinds of adapted model folder and how each is opened. Every kind has {@code config.json} (the
 * base's architecture plus {@code id2label} for classifiers) and {@code keel.json} naming the base and the
 * method.
 * <ul>
 *   <li>full: a complete checkpoint, {@code model.safetensors} with Hugging Face's
 *       {@code BertForSequenceClassification} names ({@code bert.*}, {@code classifier.*}); any backend that
 *       serves the family opens it.</li>
 *   <li>lora: PEFT's {@code adapter_config.json} and {@code adapter_model.safetensors} only; the base is
 *       named in both metadata files. {@link #mergeLora} writes the equivalent full folder.</li>
 *   <li>head: {@code head.safetensors} (a {@link ClassifierHead}) over the base's mean-pooled features (a bert
 *       or gpt2 base); it opens as a {@link HeadSession} over the base on whichever backend embeds the base,
 *       ONNX included.</li>
 * </ul>
 * Classifiers built by Keel read mean-pooled (not normalised) last hidden states, recorded in config.json as
 * {@code "keel_pooling": "mean"}, so the head and the fine-tuned classifiers see the same features.
 */
public final class AdaptedModels {
    public static final String HEAD_WEIGHTS = "head.safetensors";
    public static final String POOLING_KEY = "keel_pooling";
    public static final String MAX_LENGTH_KEY = "keel_max_length";

    /** How a folder stores its adaptation. */
    public enum Kind { FULL, LORA, HEAD }

    private AdaptedModels() { }

    public static Kind kind(Path folder) {
        if (Files.exists(folder.resolve(HEAD_WEIGHTS))) {
            return Kind.HEAD;
        }
        if (LoraAdapter.isAdapterFolder(folder)) {
            return Kind.LORA;
        }
        return Kind.FULL;
    }

    /** The base a head or LoRA folder builds on, from keel.json (or PEFT's config). */
    public static ModelRef base(Path folder) {
        String base = ModelFolder.readMetadata(folder).base();
        if (base == null && LoraAdapter.isAdapterFolder(folder)) {
            base = LoraAdapter.read(folder).baseModel();
        }
        if (base == null) {
            throw new CheckpointException(folder + " does not name its base model in keel.json; re-run keel adapt");
        }
        ModelRef ref = ModelRef.parse(base);
        if (ref.path().isPresent() && !ref.path().get().isAbsolute()) {
            ref = ModelRef.of(folder.resolve(ref.path().get()).normalize());
        }
        return ref;
    }

    /** The base reference to record: builtin names as they are, folders as absolute paths. */
    public static String baseReference(ModelRef base) {
        return base.isBuiltin() ? base.toString() : base.path().orElseThrow().toAbsolutePath().normalize().toString();
    }

    /**
     * Opens any model folder as a host expects: a head folder as a {@link HeadSession} over its base, a LoRA
     * folder merged once into a cached plain folder, a fully fine-tuned classifier as the backend's own
     * classifier or, on a backend without one (ONNX Runtime), as a Java head over the backend's embeddings,
     * and any other folder as {@code opener} opens it. Every kind reports exactly one event per call to
     * {@code options}' listeners, naming the operation the caller invoked.
     *
     * @param opener opens a plain folder (or the base of a head) on the backend the caller chose, with the
     *               options it is given
     */
    public static InferenceSession open(Path folder, SessionOptions options,
            BiFunction<ModelRef, SessionOptions, InferenceSession> opener) {
        return open(folder, options, opener, KeelCache.fromConfiguration());
    }

    /** As {@link #open(Path, SessionOptions, BiFunction)}, merging LoRA folders into {@code cache}'s merged folder. */
    public static InferenceSession open(Path folder, SessionOptions options,
            BiFunction<ModelRef, SessionOptions, InferenceSession> opener, KeelCache cache) {
        ModelFolder.requireFolder(folder);
        Kind kind = kind(folder);
        if (kind == Kind.HEAD) {
            return openHead(folder, options, opener);
        }
        if (kind == Kind.FULL && !Files.exists(folder.resolve(ModelFolder.WEIGHTS))) {
            return opener.apply(ModelRef.of(folder), options); // a graph-only folder (model.onnx)
        }
        // merged once into a cache keyed by the adapter's bytes: every backend then serves a plain folder
        Path plain = kind == Kind.LORA ? mergedCache(folder, cache) : folder;
        Map<String, Object> config = Json.readObject(plain.resolve(ModelFolder.CONFIG));
        if (!(ModelConfig.fromHfConfig(config) instanceof BertConfig classifier) || classifier.labels().isEmpty()
                || !"mean".equals(config.get(POOLING_KEY))) {
            return opener.apply(ModelRef.of(plain), options); // not a Keel classifier: the backend's own session
        }
        return withClassifier(plain, classifier, config, options, opener);
    }

    private static InferenceSession openHead(Path folder, SessionOptions options,
            BiFunction<ModelRef, SessionOptions, InferenceSession> opener) {
        Map<String, Object> config = Json.readObject(folder.resolve(ModelFolder.CONFIG));
        Labels labels = Labels.of(labelsOf(config));
        ClassifierHead head = ClassifierHead.fromTensors(Safetensors.read(folder.resolve(HEAD_WEIGHTS)).tensors());
        EventRelay relay = new EventRelay(options.listeners());
        InferenceSession base = opener.apply(base(folder), options.withListeners(List.of(relay)));
        try {
            String version = ModelFolder.readMetadata(folder).modelVersion();
            return new HeadSession(base, relay, head, labels, maxLength(config),
                    HeadSession.describe(base.info(), labels, folder, version), options);
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    /**
     * A fully fine-tuned (or merged LoRA) classifier: the backend's session as it is when it classifies by
     * itself, else its {@code classifier.*} layer as a Java head over the same mean-pooled features the
     * backend embeds (ONNX Runtime has no classifier of its own). Whether it classifies is asked with an
     * empty call whose event the relay keeps from the host, so the host sees only its own calls.
     */
    private static InferenceSession withClassifier(Path folder, BertConfig classifier, Map<String, Object> config,
            SessionOptions options, BiFunction<ModelRef, SessionOptions, InferenceSession> opener) {
        EventRelay relay = new EventRelay(options.listeners());
        InferenceSession session = opener.apply(ModelRef.of(folder), options.withListeners(List.of(relay)));
        try {
            try {
                relay.capture(() -> session.classify(List.of()));
                return session; // its events reach the host through the relay
            } catch (UnsupportedCapabilityException e) {
                // no classifier in this backend: the head below reads the features it embeds
            }
            Map<String, Tensor> tensors = ModelFolder.readWeights(folder).tensors();
            Map<String, Tensor> head = new LinkedHashMap<>();
            head.put(ClassifierHead.WEIGHT, tensors.get(ClassifierHead.WEIGHT));
            head.put(ClassifierHead.BIAS, tensors.get(ClassifierHead.BIAS));
            head.values().removeIf(java.util.Objects::isNull);
            Labels labels = Labels.of(classifier.labels());
            return new HeadSession(session, relay, ClassifierHead.fromTensors(head), labels, maxLength(config),
                    HeadSession.describe(session.info(), labels, folder, session.info().version()), options);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private static int maxLength(Map<String, Object> config) {
        return config.get(MAX_LENGTH_KEY) instanceof Number n ? n.intValue() : AdaptationSpec.DEFAULT_MAX_LENGTH;
    }

    /**
     * The merged full folder for a LoRA folder, under the cache's {@link KeelCache#merged()} folder, written once
     * (and safely when several JVMs merge the same adapter at once, see {@link KeelCache#entry}).
     */
    static Path mergedCache(Path loraFolder, KeelCache cache) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(loraFolder.toAbsolutePath().normalize().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(Files.readAllBytes(loraFolder.resolve(LoraAdapter.WEIGHTS)));
            md.update(Files.readAllBytes(loraFolder.resolve(LoraAdapter.CONFIG)));
            // the base too: a base retrained in place (written by rename, so a new mtime) must not be served
            // from an old merge; size and time stand in for hashing gigabytes on every open
            Path baseWeights = loraBaseFolder(loraFolder).resolve(ModelFolder.WEIGHTS);
            if (Files.exists(baseWeights)) {
                md.update((baseWeights.toAbsolutePath().normalize() + "|" + Files.size(baseWeights) + "|"
                        + Files.getLastModifiedTime(baseWeights).toMillis()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            String key = java.util.HexFormat.of().formatHex(md.digest()).substring(0, 24);
            return cache.entry(cache.merged(), key, ModelFolder.KEEL, tmp -> mergeLora(loraFolder, tmp));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new CheckpointException("cannot merge the LoRA adapter in " + loraFolder + ": " + e.getMessage(), e);
        }
    }

    /**
     * The labels of a classifier's config.json, from {@code id2label} in id order; read from the raw keys
     * because a gpt2 head folder carries them too, and only {@code BertConfig} models them.
     */
    static List<String> labelsOf(Map<String, Object> config) {
        if (ModelConfig.fromHfConfig(config) instanceof BertConfig b && !b.labels().isEmpty()) {
            return b.labels();
        }
        if (config.get("id2label") instanceof Map<?, ?> id2label && !id2label.isEmpty()) {
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < id2label.size(); i++) {
                Object l = id2label.get(Integer.toString(i));
                if (l == null) {
                    throw new CheckpointException("config.json's id2label has no label for id " + i + " (ids must run "
                            + "0.." + (id2label.size() - 1) + "); re-run keel adapt");
                }
                labels.add(l.toString());
            }
            return labels;
        }
        throw new CheckpointException("config.json names no labels (id2label); it is not a classifier");
    }

    /**
     * config.json for a classifier: the base's keys, the labels ({@code id2label}/{@code label2id} as Hugging
     * Face writes them), and how features are pooled.
     */
    public static Map<String, Object> classifierConfig(ModelConfig base, Labels labels, int maxLength) {
        Map<String, Object> m;
        if (base instanceof BertConfig bert) {
            m = new LinkedHashMap<>(bert.withLabels(labels.names()).toHfConfig());
        } else {
            m = new LinkedHashMap<>(base.toHfConfig());
            // the label maps exactly as a bert classifier writes them, so both read back the same way
            Map<String, Object> bert = BertConfig.miniLmL6().withLabels(labels.names()).toHfConfig();
            m.put("id2label", bert.get("id2label"));
            m.put("label2id", bert.get("label2id"));
        }
        m.put(POOLING_KEY, "mean");
        m.put(MAX_LENGTH_KEY, maxLength);
        return m;
    }

    /** Writes a head folder: config.json, head.safetensors, then keel.json last (the folder is complete). */
    public static void writeHeadFolder(Path dir, ModelConfig baseConfig, Labels labels, int maxLength,
            ClassifierHead head, KeelMetadata metadata) {
        createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(ModelFolder.CONFIG),
                Json.pretty(classifierConfig(baseConfig, labels, maxLength)) + "\n");
        Safetensors.write(dir.resolve(HEAD_WEIGHTS), head.toTensors(), Map.of("format", "pt"));
        ModelFolder.writeMetadata(dir, metadata);
    }

    /**
     * Folds a LoRA folder into its base and writes a full folder at {@code out} that any backend serving the
     * family opens; the outputs are those of the unmerged adapter.
     */
    public static Path mergeLora(Path loraFolder, Path out) {
        Path baseDir = loraBaseFolder(loraFolder);
        List<Tensor> merged = new ArrayList<>(mergedWeights(loraFolder).values());
        createDirectories(out);
        copyIfPresent(loraFolder.resolve(ModelFolder.CONFIG), out.resolve(ModelFolder.CONFIG));
        Safetensors.write(out.resolve(ModelFolder.WEIGHTS), merged, Map.of("format", "pt"));
        Tokenizers.save(ModelFolder.readTokenizer(Files.exists(loraFolder.resolve(Tokenizers.HF_FILE))
                || Files.exists(loraFolder.resolve(Tokenizers.KEEL_FILE)) ? loraFolder : baseDir), out);
        KeelMetadata meta = ModelFolder.readMetadata(loraFolder);
        ModelFolder.writeMetadata(out, new KeelMetadata(meta.formatVersion(), meta.createdBy(), meta.createdAt(),
                meta.modelVersion(), meta.base(), "lora-merged", meta.task(), meta.lineage(), meta.training(),
                meta.data(), meta.metrics()));
        return out;
    }

    /** The base's weights with a LoRA folder's adapters folded in, by tensor name (for in-memory serving). */
    public static Map<String, Tensor> mergedWeights(Path loraFolder) {
        LoraAdapter adapter = LoraAdapter.read(loraFolder);
        Map<String, Tensor> merged = new LinkedHashMap<>();
        adapter.merge(ModelFolder.readWeights(loraBaseFolder(loraFolder)).tensors()).forEach(t -> merged.put(t.name(), t));
        return merged;
    }

    private static Path loraBaseFolder(Path loraFolder) {
        ModelRef base = base(loraFolder);
        return base.path().orElseThrow(() -> new CheckpointException("the LoRA base " + base
                + " is not a folder; import it to a folder first"));
    }

    private static void copyIfPresent(Path from, Path to) {
        try {
            if (Files.exists(from)) {
                AtomicFiles.writeString(to, Files.readString(from));
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot copy " + from + ": " + e.getMessage(), e);
        }
    }

    static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CheckpointException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}
