package dev.keel.djl.internal;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.train.Pretrainer;
import dev.keel.djl.internal.adapt.DjlAdapter;
import dev.keel.djl.internal.bert.BertSession;
import dev.keel.djl.internal.gpt2.Gpt2Pretrainer;
import dev.keel.djl.internal.gpt2.Gpt2Session;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.Availability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Capabilities;
import dev.keel.spi.KeelCache;

/**
 * Deep Java Library on its PyTorch engine: trains and serves. Construction loads nothing; the PyTorch
 * natives (bundled in the CPU native jar) load on the first factory call.
 */
public final class DjlBackendProvider implements BackendProvider {
    public static final String NAME = "djl";
    /** Where tokenized corpora go; null until a host configures one (then the JVM's default at each use). */
    private final KeelCache cache;

    /** The provider ServiceLoader builds. */
    public DjlBackendProvider() {
        this(null);
    }

    private DjlBackendProvider(KeelCache cache) {
        this.cache = cache;
    }

    @Override
    public BackendProvider withCache(KeelCache c) {
        return new DjlBackendProvider(c);
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
        return 100;
    }

    @Override
    public Capabilities capabilities() {
        return Capabilities.builder()
                .stage(Capability.PRETRAIN, ModelFamily.GPT2)
                .stage(Capability.INFER, ModelFamily.GPT2)
                .stage(Capability.INFER, ModelFamily.BERT)
                .stage(Capability.ADAPT, ModelFamily.BERT, ModelFamily.GPT2)
                .devices(Device.Kind.CPU, Device.Kind.GPU)
                .formats("safetensors")
                .build();
    }

    @Override
    public Pretrainer pretrainer(Device device) {
        DjlEngine.device(device);
        return new Gpt2Pretrainer(device, cache());
    }

    @Override
    public Adapter adapter(Device device) {
        DjlEngine.device(device);
        return new DjlAdapter(device, cache());
    }

    @Override
    public InferenceSession open(ModelRef model, SessionOptions options) {
        DjlEngine.intraOpThreads(options.threads());
        if (model.isBuiltin()) {
            throw new UnsupportedCapabilityException("backend 'djl' has no builtin models (asked for " + model
                    + "); serve builtin:all-minilm-l6-v2 with the onnx backend, or pass a model folder "
                    + "(keel import --model " + model + " --out DIR, or KeelRuntime.portable, writes one)");
        }
        if (ModelFolder.readConfig(model.path().orElseThrow()).family().equals(ModelFamily.BERT)) {
            // full, LoRA and head folders alike
            return BertSession.open(model, options, DjlEngine.device(options.device()));
        }
        if (dev.keel.adapters.AdaptedModels.kind(model.path().orElseThrow()) == dev.keel.adapters.AdaptedModels.Kind.HEAD) {
            // a gpt2 head folder: the Java head over this backend's gpt2 embeddings, as for bert
            return dev.keel.adapters.AdaptedModels.open(model.path().orElseThrow(), options, this::open);
        }
        return Gpt2Session.open(model.path().orElseThrow(), options, cache());
    }

    @Override
    public Availability availability() {
        return Availability.ifClassesPresent(getClass().getClassLoader(),
                "add ai.djl.pytorch:pytorch-engine and its native jar to the class path",
                "ai.djl.engine.Engine", "ai.djl.pytorch.engine.PtEngine");
    }
}
