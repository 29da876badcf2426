package dev.keel.runtime;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.train.Pretrainer;
import dev.keel.monitors.MonitorHub;
import dev.keel.runtime.iterate.AliasFollowingSession;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.registry.ModelRegistries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The configured Keel: which backends exist, which one is chosen (explicitly, by {@code keel.backend},
 * by {@code KEEL_BACKEND}, or the best for the job), the device, and who hears about inference calls.
 * The plain-Java way to wire Keel; {@link KeelModule} builds the same for Guice.
 */
public final class KeelRuntime {
    /** System property naming the folder that caches imported builtin models. */
    public static final String MODELS_PROPERTY = "keel.models.dir";

    private final Backends backends;
    private final String backendName;
    private final Device device;
    private final List<InferenceListener> listeners;
    private final MonitorHub monitors;
    private final String registryLocation;
    private ModelRegistry registry;

    private KeelRuntime(Backends backends, String backendName, Device device, List<InferenceListener> listeners,
            MonitorHub monitors, ModelRegistry registry, String registryLocation) {
        this.backends = backends;
        this.backendName = backendName;
        this.device = device;
        this.listeners = List.copyOf(listeners);
        this.monitors = monitors;
        this.registry = registry;
        this.registryLocation = registryLocation;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Backends backends() {
        return backends;
    }

    public Device device() {
        return device;
    }

    /** The monitor hub every session of this runtime reports to, if one was attached. */
    public Optional<MonitorHub> monitors() {
        return Optional.ofNullable(monitors);
    }

    /**
     * The model registry {@code registry:} references resolve against: the one given to the builder, else the
     * one at the builder's location, {@code -Dkeel.registry}, {@code KEEL_REGISTRY} or {@code ~/.keel/registry}
     * (opened on first use, then kept). Needs the {@code keel-registry} artifact on the class path; without it
     * the error names the artifact to add.
     */
    public synchronized ModelRegistry registry() {
        if (registry == null) {
            registry = ModelRegistries.open(registryLocation != null ? registryLocation : ModelRegistries.defaultLocation());
        }
        return registry;
    }

    /**
     * A reference to open files with: a {@code registry:} reference becomes its version's folder (the alias
     * resolved now, every file's hash checked); folders and builtin models are returned as they are.
     */
    public ModelRef resolve(ModelRef model) {
        if (!model.isRegistry()) {
            return model;
        }
        ModelRegistry r = registry();
        var v = r.resolve(model);
        return ModelRef.of(r.open(v.name(), v.version()));
    }

    /** Routes what a user said about an inference to the attached monitors; false if it had to be dropped. */
    public boolean feedback(Feedback feedback) {
        if (monitors == null) {
            throw new InvalidInputException("no monitor hub is attached to this runtime; build it with "
                    + "KeelRuntime.builder().monitors(MonitorHub.withDefaults())");
        }
        return monitors.feedback(feedback);
    }

    /** The backend for a stage and family, by the selection rule. */
    public BackendProvider backend(Capability capability, ModelFamily family) {
        return backends.select(backendName, capability, family, device);
    }

    public Pretrainer pretrainer(ModelFamily family) {
        return backend(Capability.PRETRAIN, family).pretrainer(device);
    }

    public Pretrainer pretrainer() {
        return pretrainer(ModelFamily.GPT2);
    }

    /**
     * The adapter of the backend chosen for fine-tuning {@code family}. A builtin or registry base in the spec is
     * made {@link #portable} first, since training engines load folders, not another engine's builtin graphs.
     *
     * @throws dev.keel.api.BackendNotFoundException when no backend can adapt the family
     * @throws dev.keel.api.UnsupportedCapabilityException when the configured backend cannot
     */
    public Adapter adapter(ModelFamily family) {
        Adapter inner = backend(Capability.ADAPT, family).adapter(device);
        return (spec, listener) -> inner.adapt(spec.base().isBuiltin() || spec.base().isRegistry()
                ? spec.withBase(portable(spec.base())) : spec, listener);
    }

    /**
     * A model folder every backend of the model's family loads. A folder is returned as it is; a builtin
     * model (shipped in one engine's format, like the ONNX MiniLM) is imported once, by a backend that can
     * import it, into the models cache ({@value #MODELS_PROPERTY}, default {@code ~/.cache/keel/models/NAME})
     * and that folder is reused afterwards. Training backends need this for builtin bases.
     */
    public ModelRef portable(ModelRef model) {
        if (model == null) {
            throw new InvalidInputException("model reference is null; pass a folder or builtin:NAME");
        }
        if (!model.isBuiltin()) {
            return resolve(model);
        }
        Path dir = modelsDir().resolve(model.builtinName().orElseThrow());
        if (!Files.exists(dir.resolve(ModelFolder.KEEL))) {
            try {
                importModel(model, dir);
            } catch (InvalidInputException e) {
                // another process imported it at the same moment: its finished folder is as good as ours
                if (!Files.exists(dir.resolve(ModelFolder.KEEL))) {
                    throw e;
                }
            }
        }
        return ModelRef.of(dir);
    }

    /**
     * Imports {@code model} into {@code target} (absent or empty) as a portable Keel folder. The backend is
     * the configured one when it can import the family, else the best that can. The folder is written
     * beside the target and moved into place, so a failed or interrupted import leaves nothing behind.
     */
    public Path importModel(ModelRef requested, Path target) {
        ModelRef model = resolve(requested);
        ModelFamily family = familyOf(model);
        BackendProvider configured = backendName == null ? null
                : backends.find(backendName).filter(p -> p.capabilities().supports(Capability.IMPORT, family)
                        && (!model.isBuiltin() || p.builtins().containsKey(model.builtinName().orElseThrow())))
                        .orElse(null);
        BackendProvider importer = configured != null ? configured : model.isBuiltin()
                ? shipping(model.builtinName().orElseThrow())
                : backends.best(Capability.IMPORT, family, device);
        Path absolute = target.toAbsolutePath().normalize();
        try {
            if (Files.isDirectory(absolute)) {
                try (var entries = Files.list(absolute)) {
                    if (entries.findAny().isPresent()) {
                        throw new InvalidInputException(absolute + " is not empty; import into a new or empty folder");
                    }
                }
            } else if (Files.exists(absolute)) {
                throw new InvalidInputException(absolute + " is a file; import into a new or empty folder");
            }
            Files.createDirectories(absolute.getParent());
            Path tmp = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".import-");
            try {
                importer.importModel(model, tmp);
                Files.deleteIfExists(absolute);
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                AtomicFiles.deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new KeelException("cannot import " + model + " into " + absolute + ": " + e.getMessage(), e);
        }
        return absolute;
    }

    /** Where {@link #portable} keeps imported builtin models. */
    public static Path modelsDir() {
        String p = System.getProperty(MODELS_PROPERTY);
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".cache", "keel", "models");
    }

    /**
     * Opens a model folder on the chosen backend, reading its family from config.json.
     *
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     * @throws dev.keel.api.UnsupportedCapabilityException when the chosen backend cannot serve the model
     */
    public InferenceSession open(Path modelFolder) {
        return open(ModelRef.of(modelFolder));
    }

    /**
     * Opens a model reference, as {@link ModelRef#parse} reads it: {@code builtin:NAME} or a folder.
     *
     * @throws InvalidInputException when the text is empty or names a builtin no backend ships
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     */
    public InferenceSession open(String model) {
        return open(ModelRef.parse(model));
    }

    /** {@link #open(ModelRef, SessionOptions)} with this runtime's device and default options. */
    public InferenceSession open(ModelRef model) {
        return open(model, SessionOptions.builder().device(device).build());
    }

    /**
     * Opens a model for inference on the configured (or best) backend, so that changing engines is
     * configuration only, for every kind of reference:
     * <ul>
     *   <li>a builtin opens as it is on a backend that ships it; on any other backend that serves its family
     *       it is imported once into a portable folder ({@link #portable}, as {@link #adapter} does) and that
     *       folder opens;</li>
     *   <li>adapted folders (a task head, a LoRA adapter, a fine-tuned classifier) classify on every backend:
     *       the adapters module supplies what a backend lacks (the Java head over its embeddings, the LoRA
     *       merged once into a cached plain folder);</li>
     *   <li>{@code registry:NAME/VERSION} opens that version after checking its files;
     *       {@code registry:NAME@ALIAS} opens an {@link AliasFollowingSession} that moves to the alias's new
     *       version whenever the alias moves.</li>
     * </ul>
     * Every call on the session reports one event to this runtime's listeners and those in {@code options}.
     *
     * @throws InvalidInputException when the reference or the options are null, or no backend ships the builtin
     * @throws dev.keel.api.CheckpointException when the folder is missing or unreadable
     * @throws dev.keel.api.UnsupportedCapabilityException when the configured backend cannot serve the family
     */
    public InferenceSession open(ModelRef model, SessionOptions options) {
        if (model == null || options == null) {
            throw new InvalidInputException("open needs a model reference and SessionOptions; e.g. "
                    + "ModelRef.parse(\"builtin:all-minilm-l6-v2\") and SessionOptions.defaults()");
        }
        if (model.isRegistry()) {
            ModelRef.Registry r = model.registry().orElseThrow();
            if (r.followsAlias()) {
                return AliasFollowingSession.open(registry(), r.name(), r.alias(), dir -> open(ModelRef.of(dir), options));
            }
            return open(ModelRef.of(registry().open(r.name(), r.version())), options);
        }
        SessionOptions.Builder withListeners = options.toBuilder();
        listeners.forEach(withListeners::listener);
        SessionOptions effective = withListeners.build();
        if (model.isBuiltin()) {
            BackendProvider backend = backend(Capability.INFER, familyOf(model));
            if (backend.builtins().containsKey(model.builtinName().orElseThrow())) {
                return backend.open(model, effective);
            }
            // this engine cannot read another engine's builtin graph: serve the portable import of it instead
            model = portable(model);
        }
        return AdaptedModels.open(model.path().orElseThrow(), effective, this::openPlain);
    }

    private InferenceSession openPlain(ModelRef model, SessionOptions options) {
        return backend(Capability.INFER, familyOf(model)).open(model, options);
    }

    /** The family of a folder (from config.json) or of a builtin (from the backend that ships it). */
    private ModelFamily familyOf(ModelRef model) {
        if (!model.isBuiltin()) {
            return ModelFolder.readConfig(model.path().orElseThrow()).family();
        }
        return shipping(model.builtinName().orElseThrow()).builtins().get(model.builtinName().orElseThrow());
    }

    /** A backend on the class path that ships the builtin {@code name}. */
    private BackendProvider shipping(String name) {
        return backends.all().stream().filter(p -> p.builtins().containsKey(name)).findFirst()
                .orElseThrow(() -> new InvalidInputException("no backend on the class path ships builtin:" + name
                        + "; builtins found: " + backends.all().stream().flatMap(p -> p.builtins().keySet().stream()
                                .map(n -> "builtin:" + n + " (" + p.name() + ")")).toList()
                        + "; builtin:all-minilm-l6-v2 comes with keel-backend-onnx, or pass a model folder"));
    }

    public static final class Builder {
        private Backends backends;
        private String backendName;
        private Device device = Device.cpu();
        private final List<InferenceListener> listeners = new ArrayList<>();
        private MonitorHub monitors;
        private ModelRegistry registry;
        private String registryLocation;

        /** The backends to choose from; default: every provider ServiceLoader finds. */
        public Builder backends(Backends v) { backends = v; return this; }

        /** Names the backend; null defers to {@code keel.backend}, {@code KEEL_BACKEND}, then the best. */
        public Builder backend(String v) { backendName = v; return this; }

        public Builder device(Device v) { device = v; return this; }

        /** Hears about every inference call of every session this runtime opens. */
        public Builder listener(InferenceListener v) { listeners.add(v); return this; }

        /**
         * Attaches a monitor hub: every session reports its calls to it, and {@link KeelRuntime#feedback}
         * routes feedback to it. The caller owns the hub and closes it.
         */
        public Builder monitors(MonitorHub hub) {
            if (hub == null) {
                throw new InvalidInputException("monitor hub is null; use MonitorHub.withDefaults() or leave it out");
            }
            if (monitors != null) {
                throw new InvalidInputException("a monitor hub is already attached; attach one hub with every monitor");
            }
            monitors = hub;
            listeners.add(hub);
            return this;
        }

        /** The registry {@code registry:} references resolve against (the caller owns it and closes it). */
        public Builder registry(ModelRegistry v) {
            if (v == null) {
                throw new InvalidInputException("registry is null; pass an open ModelRegistry or a location");
            }
            registry = v;
            return this;
        }

        /**
         * Where the registry is (a folder or a JDBC URL), opened on first use; default {@code -Dkeel.registry},
         * {@code KEEL_REGISTRY}, then {@code ~/.keel/registry}.
         */
        public Builder registry(String location) {
            if (location == null || location.isBlank()) {
                throw new InvalidInputException("registry location is empty; give a folder or a JDBC URL, or leave it "
                        + "out for KEEL_REGISTRY / ~/.keel/registry");
            }
            registryLocation = location;
            return this;
        }

        public KeelRuntime build() {
            if (registry != null && registryLocation != null) {
                throw new InvalidInputException("both a registry and a registry location were given; give one");
            }
            return new KeelRuntime(backends != null ? backends : Backends.discover(), backendName, device, listeners,
                    monitors, registry, registryLocation);
        }
    }
}
