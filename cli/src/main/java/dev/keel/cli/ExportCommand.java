package dev.keel.cli;

import dev.keel.api.Capability;
import dev.keel.api.ModelRef;
import dev.keel.api.model.ModelFamily;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel export}: writes a model folder in an engine's own serving format: an ONNX graph next to the
 * weights ({@code --backend onnx}, the default; {@code --out} may be the model folder itself, which refreshes
 * a stale {@code model.onnx}) or a TensorFlow SavedModel ({@code --backend tf}, a new folder).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model folder in an engine's serving format (ONNX graph, TensorFlow SavedModel).")
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "DIR|registry:NAME/VERSION", description = "a Keel model folder (bert or gpt2) or registry reference")
    String modelArg;

    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where the exported folder goes")
    Path out;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        model = common.modelFolder(modelArg);
        KeelRuntime runtime = common.runtime();
        ModelFamily family = ModelFolder.readConfig(model).family();
        BackendProvider exporter = runtime.backend(Capability.EXPORT, family);
        long t0 = System.nanoTime();
        console.progress("exporting " + model + " with " + exporter.name());
        Path folder = exporter.export(ModelRef.of(model), out);
        console.endProgress();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", folder.toString());
        result.put("backend", exporter.name());
        result.put("family", family.toString());
        result.put("files", names(folder));
        result.put("seconds", (System.nanoTime() - t0) / 1e9);
        console.result(result);
        return 0;
    }

    private static List<String> names(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
