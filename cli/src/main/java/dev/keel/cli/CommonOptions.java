package dev.keel.cli;

import dev.keel.api.Device;
import dev.keel.runtime.KeelRuntime;
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

    @Option(names = "--verbose", description = "let the engines log too (TensorFlow's INFO and WARNING lines); bin/keel "
            + "reads it before they load")
    public boolean verbose;

    public Device device() {
        return Device.parse(device);
    }

    public KeelRuntime runtime() {
        return KeelRuntime.builder().backend(backend).device(device()).build();
    }
}
