package dev.keel.cli;

import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every verb takes (CLI.md "Common options"). */
public final class CommonOptions {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "djl, onnx, tf or any discovered backend (default: -Dkeel.backend, KEEL_BACKEND, "
                    + "else the best available for the verb)")
    public String backend;

    @Option(names = "--device", paramLabel = "cpu|gpu|gpu:N", defaultValue = "cpu",
            description = "where to run (default: ${DEFAULT-VALUE})")
    public String device;

    @Option(names = "--seed", defaultValue = "1337", description = "seed for every random choice (default: ${DEFAULT-VALUE})")
    public long seed;

    @Option(names = "--json", description = "human output to stderr; the last line of stdout is one JSON object")
    public boolean json;

    @Option(names = "--registry", paramLabel = "DIR|JDBC_URL",
            description = "the model registry registry:NAME@ALIAS and registry:NAME/VERSION resolve against "
                    + "(default: KEEL_REGISTRY, else ~/.keel/registry)")
    public String registry;

    private KeelRuntime runtime;

    public Device device() {
        return Device.parse(device);
    }

    /** The runtime of this invocation (built once, so a registry it opens is opened once). */
    public KeelRuntime runtime() {
        if (runtime == null) {
            KeelRuntime.Builder b = KeelRuntime.builder().backend(backend).device(device());
            if (registry != null) {
                b.registry(registry);
            }
            runtime = b.build();
        }
        return runtime;
    }

    /**
     * A --model (or --base) value as a reference to open: a folder or builtin:NAME as it is, a registry:
     * reference resolved now to its version's folder (files verified), so one-shot verbs read fixed files.
     */
    public ModelRef model(String text) {
        ModelRef ref = ModelRef.parse(text);
        return ref.isRegistry() ? runtime().resolve(ref) : ref;
    }

    /** A --model value that must be a folder: a folder path, or a registry: reference resolved to its folder. */
    public Path modelFolder(String text) {
        ModelRef ref = model(text);
        return ref.path().orElseThrow(() -> new InvalidInputException("--model " + text + " is a builtin model; "
                + "this verb needs a model folder (keel import --model " + text + " --out DIR writes one)"));
    }
}
