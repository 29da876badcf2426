package dev.keel.cli;

import dev.keel.api.Capability;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.ModelFolder;
import java.nio.file.Files;

/**
 * Where the adapt and classify verbs get their base models. Builtin models ship as ONNX graphs, which only
 * the onnx backend runs; a training backend needs a bert folder, so a builtin is imported once
 * ({@link KeelRuntime#portable}) into {@code ~/.cache/keel/models/NAME} (or {@code -Dkeel.models.dir}).
 */
final class BaseModels {
    private static final String ONNX = "onnx";

    private BaseModels() { }

    /** A folder for {@code ref}: itself when it is one, the cached import when it is a builtin. */
    static ModelRef asFolder(KeelRuntime runtime, ModelRef ref, Console console) {
        if (ref.isBuiltin() && !Files.exists(KeelRuntime.modelsDir().resolve(ref.builtinName().orElseThrow())
                .resolve(ModelFolder.KEEL))) {
            console.say("importing " + ref + " into " + KeelRuntime.modelsDir() + " (once) so a training backend "
                    + "can load it");
        }
        return runtime.portable(ref);
    }

    /**
     * The backend that serves a model: the one named (--backend, keel.backend, KEEL_BACKEND), else onnx for
     * builtin models (the only backend that ships them), else the best for the family.
     */
    static BackendProvider inferenceBackend(CommonOptions common, KeelRuntime runtime, ModelRef ref) {
        // builtins ship with onnx (OnnxBackendProvider.builtins()); any other backend serves their portable import
        boolean named = common.backend != null || runtime.backends().configuredName().isPresent();
        if (ref.isBuiltin() && !named && runtime.backends().find(ONNX).isPresent()) {
            return runtime.backends().select(ONNX, Capability.INFER, ModelFamily.BERT, common.device());
        }
        ModelFamily family = ref.isBuiltin() ? ModelFamily.BERT : ModelFolder.readConfig(ref.path().orElseThrow()).family();
        return runtime.backend(Capability.INFER, family);
    }

    /** Opens a model on the inference backend, importing a builtin first when that backend needs a folder. */
    static InferenceSession open(CommonOptions common, KeelRuntime runtime, ModelRef ref, Console console) {
        return open(common, runtime, ref, console, SessionOptions.builder().device(common.device()).build());
    }

    /** {@link #open(CommonOptions, KeelRuntime, ModelRef, Console)} with the given session options. */
    static InferenceSession open(CommonOptions common, KeelRuntime runtime, ModelRef ref, Console console,
            SessionOptions options) {
        BackendProvider p = inferenceBackend(common, runtime, ref);
        ModelRef target = ref.isBuiltin() && !p.builtins().containsKey(ref.builtinName().orElseThrow())
                ? asFolder(runtime, ref, console) : ref;
        return p.open(target, options);
    }
}
