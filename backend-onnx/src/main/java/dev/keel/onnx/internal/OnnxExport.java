package dev.keel.onnx.internal;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.model.ModelFamily;
import dev.keel.onnx.internal.proto.Onnx.ModelProto;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.OutputFolders;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Exports Keel folders ({@code bert}, {@code gpt2}) to ONNX graphs, written atomically. */
final class OnnxExport {
    /** Changes whenever the graphs change, so cached exports of older layouts are not reused. */
    static final String FORMAT = "keel-onnx-export-5";
    // 2: gpt2 graphs output last_hidden_state; 4: left_padding input; 5: cache_length input (in-place decode)

    private OnnxExport() { }

    static Path export(ModelRef ref, Path target) {
        if (ref == null || target == null) {
            throw new InvalidInputException("export needs a model folder and a target folder");
        }
        if (ref.isBuiltin()) {
            throw new InvalidInputException("builtin:" + ref.builtinName().orElse("") + " is already an ONNX model; "
                    + "export takes a Keel model folder (bert or gpt2) with model.safetensors");
        }
        Path source = ModelFolder.requireFolder(ref.path().orElseThrow()).toAbsolutePath().normalize();
        Path dst = target.toAbsolutePath().normalize();
        if (dst.equals(source) || dst.startsWith(source)) {
            throw new InvalidInputException("export target " + target + " is the model folder or inside it; pick a "
                    + "new folder (a folder whose weights change serves a fresh graph by itself)");
        }
        OutputFolders.requireFresh(dst, "export target");
        ModelConfig config = ModelFolder.requireComplete(source);
        ModelProto graph = build(source, config);
        return AtomicFiles.writeDirectory(dst, tmp -> {
            try (Stream<Path> files = Files.list(source)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String name = f.getFileName().toString();
                    if (!name.equals(OnnxModel.GRAPH) && !name.startsWith(".")) {
                        Files.copy(f, tmp.resolve(name));
                    }
                }
            }
            write(graph, tmp.resolve(OnnxModel.GRAPH));
        });
    }

    /** Writes the graph for a folder's weights to {@code file} (used for the serving cache). */
    static void writeGraph(Path folder, ModelConfig config, Path file) {
        write(build(folder, config), file);
    }

    private static void write(ModelProto model, Path file) {
        AtomicFiles.write(file, ch -> {
            var buf = java.nio.ByteBuffer.wrap(model.toByteArray());
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }

    static ModelProto build(Path folder, ModelConfig config) {
        Map<String, Tensor> weights = ModelFolder.readWeights(folder).tensors();
        if (config.family().equals(ModelFamily.GPT2)) {
            Map<String, Object> raw = Json.readObject(folder.resolve(ModelFolder.CONFIG));
            return Gpt2Graph.build((Gpt2Config) config, weights,
                    String.valueOf(raw.getOrDefault("activation_function", "gelu_new")));
        }
        if (config.family().equals(ModelFamily.BERT)) {
            return BertGraph.build((BertConfig) config, weights);
        }
        throw new UnsupportedCapabilityException("backend 'onnx' exports bert and gpt2 folders, not "
                + config.family() + "; supported families: " + List.of("bert", "gpt2"));
    }
}
