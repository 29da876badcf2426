package dev.keel.onnx.internal;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.Pretrainer;
import dev.keel.spi.Availability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Capabilities;
import dev.keel.spi.KeelCache;
import java.nio.file.Path;

/**
 * ONNX Runtime Java, used directly with one shared environment: serves bert encoders (embeddings) and gpt2
 * causal LMs (generation with a key/value cache, evaluation, logits), and exports Keel folders to ONNX. It
 * cannot train: the Maven Central build of ONNX Runtime has no training. Construction loads nothing.
 */
public final class OnnxBackendProvider implements BackendProvider {
    public static final String NAME = "onnx";
    /** Where exported graphs and tokenized corpora go; null until a host configures one (then the JVM's default). */
    private final KeelCache cache;

    /** The provider ServiceLoader builds; its cache is {@link KeelCache#fromConfiguration()} at each use. */
    public OnnxBackendProvider() {
        this(null);
    }

    private OnnxBackendProvider(KeelCache cache) {
        this.cache = cache;
    }

    @Override
    public BackendProvider withCache(KeelCache c) {
        return new OnnxBackendProvider(c);
    }

    private KeelCache cache() {
        return cache != null ? cache : KeelCache.fromConfiguration();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    /** ONNX Runtime is the fastest engine here for serving, so it leads for inference when none is named. */
    @Override
    public int priority(Capability capability) {
        return capability == Capability.INFER ? 200 : priority();
    }

    @Override
    public Capabilities capabilities() {
        return Capabilities.builder()
                .stage(Capability.INFER, ModelFamily.BERT, ModelFamily.GPT2)
                .stage(Capability.EXPORT, ModelFamily.BERT, ModelFamily.GPT2)
                .stage(Capability.IMPORT, ModelFamily.BERT)
                .devices(Device.Kind.CPU, Device.Kind.GPU)
                .formats("onnx", "safetensors")
                .build();
    }

    /** all-MiniLM-L6-v2 from the class path (float, and int8 quantized at load). */
    @Override
    public java.util.Map<String, ModelFamily> builtins() {
        return java.util.Map.of(OnnxModel.BUILTIN_MINILM, ModelFamily.BERT, OnnxModel.BUILTIN_MINILM_INT8, ModelFamily.BERT);
    }

    @Override
    public Availability availability() {
        return Availability.ifClassesPresent(getClass().getClassLoader(),
                "add com.microsoft.onnxruntime:onnxruntime to the class path", "ai.onnxruntime.OrtEnvironment");
    }

    @Override
    public Pretrainer pretrainer(Device device) {
        throw new UnsupportedCapabilityException("pretrain is not supported by onnx (ONNX Runtime from Maven "
                + "Central cannot train); use djl or tf, e.g. keel pretrain --backend djl");
    }

    @Override
    public Adapter adapter(Device device) {
        throw new UnsupportedCapabilityException("adapt is not supported by onnx (ONNX Runtime from Maven "
                + "Central cannot train); use djl or tf, e.g. keel adapt --backend djl, then serve the result on onnx");
    }

    @Override
    public InferenceSession open(ModelRef model, SessionOptions options) {
        if (model == null || options == null) {
            throw new InvalidInputException("model and options are required; e.g. ModelRef.parse(\"builtin:"
                    + OnnxModel.BUILTIN_MINILM + "\") and SessionOptions.defaults()");
        }
        OnnxModel resolved = OnnxModel.resolve(model, cache());
        ModelFamily family = resolved.config().family();
        if (family.equals(ModelFamily.BERT)) {
            return new BertOnnxSession(resolved, options);
        }
        if (family.equals(ModelFamily.GPT2)) {
            return new Gpt2OnnxSession(resolved, options);
        }
        throw new UnsupportedCapabilityException("backend 'onnx' serves bert and gpt2 models, not " + family
                + "; use a backend that declares " + family + " (keel backends)");
    }

    /**
     * Writes {@code model.onnx} for a Keel {@code bert} or {@code gpt2} folder into {@code target}, with the
     * config, tokenizer, weights and metadata beside it, so the target serves on onnx and still loads on the
     * training backends. Exporting into the source folder adds only the graph. Every file is atomic.
     */
    @Override
    public Path export(ModelRef model, Path target) {
        return OnnxExport.export(model, target);
    }

    /** Builtin models and bert folders that hold only {@code model.onnx} become Keel bert folders. */
    @Override
    public Path importModel(ModelRef model, Path target) {
        return BertImport.importBert(model, target);
    }
}
