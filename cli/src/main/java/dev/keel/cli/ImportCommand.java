package dev.keel.cli;

import dev.keel.api.model.ModelConfig;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keel import}: turns a model held in one engine's own format (a builtin ONNX model, a folder with
 * only {@code model.onnx}) into a portable Keel folder that every backend of its family loads, so a
 * training backend can fine-tune it and any engine can serve it.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Write a builtin or ONNX-only model as a portable Keel folder (safetensors, HF layout).")
public final class ImportCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, paramLabel = "builtin:NAME|DIR", description = "the model to import")
    String model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the new folder (absent or empty)")
    Path out;

    @Override
    public Integer call() {
        Console console = Console.of(common);
        KeelRuntime runtime = common.runtime();
        long t0 = System.nanoTime();
        console.progress("importing " + model + " into " + out);
        Path folder = runtime.importModel(common.model(model), out);
        console.endProgress();
        ModelConfig config = ModelFolder.readConfig(folder);
        long params = 0;
        for (Tensor t : ModelFolder.readWeights(folder).tensors().values()) {
            params += t.elementCount();
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", folder.toString());
        result.put("family", config.family().toString());
        result.put("params", params);
        result.put("seconds", (System.nanoTime() - t0) / 1e9);
        console.result(result);
        return 0;
    }
}
