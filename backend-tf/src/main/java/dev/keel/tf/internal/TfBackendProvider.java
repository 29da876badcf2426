package dev.keel.tf.internal;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
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
 * TensorFlow Java: builds the model as a TensorFlow graph from the portable checkpoint. Construction
 * loads nothing; the TensorFlow natives load on the first factory call.
 */
public final class TfBackendProvider implements BackendProvider {
    public static final String NAME = "tf";
    /** Where tokenized corpora go; null until a host configures one (then the JVM's default at each use). */
    private final KeelCache cache;

    /** The provider ServiceLoader builds. */
    public TfBackendProvider() {
        this(null);
    }

    private TfBackendProvider(KeelCache cache) {
        this.cache = cache;
    }

    @Override
    public BackendProvider withCache(KeelCache c) {
        return new TfBackendProvider(c);
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
        return 10;
    }

    @Override
    public Capabilities capabilities() {
        return Capabilities.builder()
                .stage(Capability.PRETRAIN, ModelFamily.GPT2)
                .stage(Capability.INFER, ModelFamily.GPT2)
                .stage(Capability.EXPORT, ModelFamily.GPT2)
                .devices(Device.Kind.CPU)
                .formats("safetensors", "savedmodel")
                .build();
    }

    /**
     * Copies the portable folder into {@code target} and adds a TensorFlow SavedModel under
     * {@code target/saved_model} (tag {@code serve}, signature {@code serving_default}: {@code input_ids} to
     * {@code logits}).
     */
    @Override
    public Path export(ModelRef model, Path target) {
        if (model.isBuiltin()) {
            throw new UnsupportedCapabilityException("backend 'tf' cannot export builtin models (asked for " + model
                    + "); export a gpt2 model folder");
        }
        return TfSavedModelExport.export(model.path().orElseThrow(), target);
    }

    @Override
    public Availability availability() {
        return Availability.ifClassesPresent(getClass().getClassLoader(),
                "add org.tensorflow:tensorflow-core-api and its native jar to the class path",
                "org.tensorflow.Graph", "org.tensorflow.Session");
    }

    @Override
    public Pretrainer pretrainer(Device device) {
        TfGpt2Session.requireCpu(device);
        return new TfPretrainer(0, cache());
    }

    @Override
    public InferenceSession open(ModelRef model, SessionOptions options) {
        TfGpt2Session.requireCpu(options.device());
        if (model.isBuiltin()) {
            throw new UnsupportedCapabilityException("backend 'tf' has no builtin models (asked for " + model
                    + "); pass a gpt2 model folder, or serve builtin models on the onnx or djl backend");
        }
        return TfGpt2Session.open(model.path().orElseThrow(), options, cache());
    }
}
