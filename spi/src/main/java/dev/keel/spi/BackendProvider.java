package dev.keel.spi;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.train.Pretrainer;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * What an engine module implements to plug into Keel, registered in
 * {@code META-INF/services/dev.keel.spi.BackendProvider}. Constructing a provider must be cheap and must
 * not load native code: discovery instantiates every provider on the class path. Natives load on the
 * first factory call.
 *
 * <p>Factories for stages the backend does not declare in {@link #capabilities()} throw
 * {@link UnsupportedCapabilityException}; {@link Backends} checks capabilities first and names an
 * alternative backend in its message.
 */
@API(status = STABLE, since = "0.1")
public interface BackendProvider {
    /** A short lower-case name, unique among providers: {@code djl}, {@code onnx}, {@code tf}. */
    String name();

    /** Higher wins when no backend is named; ties break by name. */
    int priority();

    /**
     * The priority for one stage, for a backend that is the best choice for some stages only (a fast
     * serving engine that cannot train, say). Defaults to {@link #priority()}.
     */
    default int priority(Capability capability) {
        return priority();
    }

    Capabilities capabilities();

    /** Whether the engine can run here, decided without loading natives. */
    Availability availability();

    /**
     * The pre-trainer on {@code device}.
     *
     * @throws UnsupportedCapabilityException when the backend does not declare PRETRAIN or the device
     */
    default Pretrainer pretrainer(Device device) {
        throw unsupported(Capability.PRETRAIN);
    }

    /**
     * The adapter on {@code device}.
     *
     * @throws UnsupportedCapabilityException when the backend does not declare ADAPT or the device
     */
    default Adapter adapter(Device device) {
        throw unsupported(Capability.ADAPT);
    }

    /**
     * Opens a model folder, or one of its {@link #builtins()}, for inference.
     *
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     * @throws UnsupportedCapabilityException when the backend does not serve the model's family, or is asked
     *         for a builtin it does not ship
     * @throws dev.keel.api.InvalidInputException when the reference or the options are null
     */
    default InferenceSession open(ModelRef model, SessionOptions options) {
        throw unsupported(Capability.INFER);
    }

    /**
     * The models this backend ships on the class path, by builtin name, with their family
     * ({@code all-minilm-l6-v2} for onnx). Other backends serve them once imported into a portable folder
     * ({@link #importModel} of a backend that ships them); {@code KeelRuntime} does that by itself.
     */
    default java.util.Map<String, dev.keel.api.model.ModelFamily> builtins() {
        return java.util.Map.of();
    }

    /**
     * Writes {@code model} in this backend's native serving format into {@code target} (for example an
     * ONNX graph next to the weights), returning the folder that now serves on this backend.
     *
     * @throws UnsupportedCapabilityException when the backend does not declare EXPORT for the model's family
     * @throws dev.keel.api.CheckpointException when the model cannot be read or the target written
     */
    default Path export(ModelRef model, Path target) {
        throw unsupported(Capability.EXPORT);
    }

    /**
     * Reads {@code model}, held in this engine's own format (a builtin model, an ONNX graph), into a portable
     * Keel folder at {@code target} (safetensors in the family's Hugging Face layout, config.json,
     * tokenizer.json, keel.json) and returns it. Hosts usually call {@code KeelRuntime.importModel}, which
     * picks the backend and caches the result.
     *
     * @throws UnsupportedCapabilityException when the backend does not declare IMPORT for the model
     * @throws dev.keel.api.CheckpointException when the model cannot be read or the target written
     */
    default Path importModel(ModelRef model, Path target) {
        throw unsupported(Capability.IMPORT);
    }

    private UnsupportedCapabilityException unsupported(Capability capability) {
        return new UnsupportedCapabilityException("backend '" + name() + "' does not support "
                + capability.name().toLowerCase(java.util.Locale.ROOT) + "; run 'keel backends' to see which do");
    }
}
