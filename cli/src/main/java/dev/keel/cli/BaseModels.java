package dev.keel.cli;

import dev.keel.api.Capability;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where the adapt and classify verbs get their base models. Builtin models ship as ONNX graphs, which only
 * the onnx backend runs; a training backend needs a bert folder, so a builtin is imported once (by the onnx
 * backend's importer) into {@code ~/.cache/keel/models/NAME} (or {@code -Dkeel.models.dir}) and reused.
 */
final class BaseModels {
    static final String MODELS_PROPERTY = "keel.models.dir";
    private static final String ONNX = "onnx";

    private BaseModels() { }

    /** A folder for {@code ref}: itself when it is one, the cached import when it is a builtin. */
    static ModelRef asFolder(ModelRef ref, Console console) {
        if (!ref.isBuiltin()) {
            return ref;
        }
        String name = ref.builtinName().orElseThrow();
        Path dir = modelsDir().resolve(name);
        if (Files.exists(dir.resolve(ModelFolder.KEEL))) {
            return ModelRef.of(dir);
        }
        console.say("importing " + ref + " into " + dir + " (once) so a training backend can load it");
        try {
            Files.createDirectories(dir.getParent());
            Path tmp = Files.createTempDirectory(dir.getParent(), "." + name + ".");
            Class<?> importer = Class.forName("dev.keel.onnx.BertImport");
            importer.getMethod("importBert", ModelRef.class, Path.class).invoke(null, ref, tmp);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (ClassNotFoundException e) {
            throw new UnsupportedCapabilityException(ref + " is an ONNX model and the onnx backend, which imports "
                    + "it, is not on the class path; pass a bert model folder as --base instead");
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new KeelException("import failed", e.getCause());
        } catch (IOException | ReflectiveOperationException e) {
            throw new KeelException("cannot import " + ref + " into " + dir + ": " + e.getMessage(), e);
        }
        return ModelRef.of(dir);
    }

    static Path modelsDir() {
        String p = System.getProperty(MODELS_PROPERTY);
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".cache", "keel", "models");
    }

    /**
     * The backend that serves a model: the one named (--backend, keel.backend, KEEL_BACKEND), else onnx for
     * builtin models (the only backend that ships them), else the best for the family.
     */
    static BackendProvider inferenceBackend(CommonOptions common, KeelRuntime runtime, ModelRef ref) {
        boolean named = common.backend != null || runtime.backends().configuredName().isPresent();
        if (ref.isBuiltin() && !named && runtime.backends().find(ONNX).isPresent()) {
            return runtime.backends().select(ONNX, Capability.INFER, ModelFamily.BERT, common.device());
        }
        ModelFamily family = ref.isBuiltin() ? ModelFamily.BERT : ModelFolder.readConfig(ref.path().orElseThrow()).family();
        return runtime.backend(Capability.INFER, family);
    }

    /** Opens a model on the inference backend, importing a builtin first when that backend needs a folder. */
    static InferenceSession open(CommonOptions common, KeelRuntime runtime, ModelRef ref, Console console) {
        BackendProvider p = inferenceBackend(common, runtime, ref);
        ModelRef target = ref.isBuiltin() && !p.name().equals(ONNX) ? asFolder(ref, console) : ref;
        return p.open(target, SessionOptions.builder().device(common.device()).build());
    }
}
