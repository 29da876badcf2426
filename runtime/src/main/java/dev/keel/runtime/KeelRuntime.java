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
import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStore;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.train.Pretrainer;
import dev.keel.monitors.MonitorHub;
import dev.keel.runtime.iterate.AliasFollowingSession;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.registry.CaptureStores;
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
 * The plain-Java way to wire Keel; {@link KeelModule} builds the same for Guice. Closing it closes what it
 * opened itself (a registry or capture store given by location); what the caller passed in stays open.
 */
public final class KeelRuntime implements AutoCloseable {
    private final Backends backends;
    private final KeelCache cache;
    private final String backendName;
    private final Device device;
    private final List<InferenceListener> listeners;
    private final MonitorHub monitors;
    private final String registryLocation;
    private ModelRegistry registry;
    private boolean ownsRegistry;
    private final CaptureStore capture;
    private final boolean ownsCapture;

    private KeelRuntime(Backends backends, KeelCache cache, String backendName, Device device,
            List<InferenceListener> listeners, MonitorHub monitors, ModelRegistry registry, String registryLocation,
            CaptureStore capture, boolean ownsCapture) {
        this.backends = backends;
        this.cache = cache;
        this.backendName = backendName;
        this.device = device;
        this.listeners = List.copyOf(listeners);
        this.monitors = monitors;
        this.registry = registry;
        this.registryLocation = registryLocation;
        this.capture = capture;
        this.ownsCapture = ownsCapture;
        if (capture != null && monitors != null) {
            monitors.addReporter(capture.monitor()); // drops and write failures of the log show with the monitors
        }
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

    /**
     * The cache root every backend of this runtime writes under (imported builtins, derived graphs, tokenized
     * corpora, merged LoRA folders): the builder's, else {@code -Dkeel.cache}, {@code KEEL_CACHE},
     * {@code $XDG_CACHE_HOME/keel}, {@code ~/.cache/keel}.
     */
    public KeelCache cache() {
        return cache;
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
            ownsRegistry = true;
        }
        return registry;
    }

    /** The inference log and feedback store every session of this runtime records to, if capture is on. */
    public Optional<CaptureStore> capture() {
        return Optional.ofNullable(capture);
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

    /**
     * What a user said about an inference: recorded durably in the capture store (when capture is on; committed
     * before this returns, joined to the logged call), then routed to the attached monitors (accuracy over
     * sliding windows). Returns false only when nothing kept it: no capture store, and the monitors' queue was
     * full. A store that cannot commit throws, so the caller knows the feedback was not kept.
     */
    public boolean feedback(Feedback feedback) {
        if (monitors == null && capture == null) {
            throw new InvalidInputException("neither a monitor hub nor a capture store is attached to this runtime; "
                    + "build it with KeelRuntime.builder().monitors(MonitorHub.withDefaults()) and/or .capture(DB)");
        }
        if (feedback == null) {
            throw new InvalidInputException("feedback is null; build one with Feedback.label(id, label), "
                    + "Feedback.thumbsUp(id), ...");
        }
        if (capture != null) {
            capture.record(feedback);
        }
        boolean routed = monitors != null && monitors.feedback(feedback);
        return capture != null || routed;
    }

    /** The backend for a stage and family, by the selection rule. */
    public BackendProvider backend(Capability capability, ModelFamily family) {
        return backends.select(backendName, capability, family, device).withCache(cache);
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
     * import it, into {@code models/NAME} of the {@linkplain #cache() cache} and that folder is reused afterwards
     * (JVMs importing it at once each get the one complete folder). Training backends need this for builtin bases.
     */
    public ModelRef portable(ModelRef model) {
        if (model == null) {
            throw new InvalidInputException("model reference is null; pass a folder or builtin:NAME");
        }
        if (!model.isBuiltin()) {
            return resolve(model);
        }
        return ModelRef.of(cache.entry(cache.models(), model.builtinName().orElseThrow(), ModelFolder.KEEL,
                tmp -> importer(model).importModel(model, tmp)));
    }

    /** Whether {@link #portable} has the builtin's folder already (so it will not import it now). */
    public boolean hasPortable(ModelRef builtin) {
        return builtin.isBuiltin() && Files.exists(cache.models().resolve(builtin.builtinName().orElseThrow())
                .resolve(ModelFolder.KEEL));
    }

    /**
     * Imports {@code model} into {@code target} (absent or empty) as a portable Keel folder. The backend is
     * the configured one when it can import the family, else the best that can. The folder is written
     * beside the target and moved into place, so a failed or interrupted import leaves nothing behind.
     */
    public Path importModel(ModelRef requested, Path target) {
        ModelRef model = resolve(requested);
        BackendProvider importer = importer(model);
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
            Path tmp = AtomicFiles.newDirectory(absolute.getParent(), "." + absolute.getFileName() + ".import-");
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

    /** The backend that imports {@code model}: the configured one when it can, else one that ships it or can. */
    private BackendProvider importer(ModelRef model) {
        ModelFamily family = family(model);
        BackendProvider configured = backendName == null ? null
                : backends.find(backendName).filter(p -> p.capabilities().supports(Capability.IMPORT, family)
                        && (!model.isBuiltin() || p.builtins().containsKey(model.builtinName().orElseThrow())))
                        .orElse(null);
        BackendProvider importer = configured != null ? configured : model.isBuiltin()
                ? shipping(model.builtinName().orElseThrow())
                : backends.best(Capability.IMPORT, family, device);
        return importer.withCache(cache);
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
        return open(model, options, null);
    }

    /**
     * As {@link #open(ModelRef, SessionOptions)}, with the name the inference log records its calls under (a
     * server's name for the model, say); null keeps the default: the registry name of a {@code registry:}
     * reference, else the folder's or builtin's name. The version is always the served one (the registry version,
     * else the model's own).
     */
    public InferenceSession open(ModelRef model, SessionOptions options, String capturedAs) {
        if (model == null || options == null) {
            throw new InvalidInputException("open needs a model reference and SessionOptions; e.g. "
                    + "ModelRef.parse(\"builtin:all-minilm-l6-v2\") and SessionOptions.defaults()");
        }
        if (model.isRegistry()) {
            ModelRef.Registry r = model.registry().orElseThrow();
            String name = capturedAs != null ? capturedAs : r.name();
            if (r.followsAlias()) {
                return AliasFollowingSession.open(registry(), r.name(), r.alias(),
                        (version, dir) -> open(ModelRef.of(dir), options, name, Integer.toString(version)));
            }
            return open(ModelRef.of(registry().open(r.name(), r.version())), options, name, r.version().toString());
        }
        return open(model, options, capturedAs != null ? capturedAs : servedName(model), null);
    }

    /** {@link #open(ModelRef, SessionOptions, String)} with this runtime's device and default options. */
    public InferenceSession open(ModelRef model, String capturedAs) {
        return open(model, SessionOptions.builder().device(device).build(), capturedAs);
    }

    /** The name the inference log gives a model that is not in the registry: the builtin's or the folder's. */
    private static String servedName(ModelRef model) {
        if (model.isBuiltin()) {
            return model.builtinName().orElseThrow();
        }
        Path p = model.path().orElseThrow().toAbsolutePath().normalize();
        return p.getFileName() == null ? p.toString() : p.getFileName().toString();
    }

    /** Opens a folder or builtin, its calls captured as served by {@code servedName} {@code servedVersion}. */
    private InferenceSession open(ModelRef model, SessionOptions options, String servedName, String servedVersion) {
        SessionOptions.Builder withListeners = options.toBuilder();
        listeners.forEach(withListeners::listener);
        if (capture != null) {
            withListeners.listener(capture.listener(servedName, servedVersion));
        }
        SessionOptions effective = withListeners.build();
        if (model.isBuiltin()) {
            BackendProvider backend = backend(Capability.INFER, family(model));
            if (backend.builtins().containsKey(model.builtinName().orElseThrow())) {
                return backend.open(model, effective);
            }
            // this engine cannot read another engine's builtin graph: serve the portable import of it instead
            model = portable(model);
        }
        return AdaptedModels.open(model.path().orElseThrow(), effective, this::openPlain, cache);
    }

    private InferenceSession openPlain(ModelRef model, SessionOptions options) {
        return backend(Capability.INFER, family(model)).open(model, options);
    }

    /**
     * The family of a folder (from config.json) or of a builtin (from the backend that ships it).
     *
     * @throws InvalidInputException when no backend on the class path ships the builtin
     * @throws dev.keel.api.CheckpointException when the folder's config.json is missing or unreadable
     */
    public ModelFamily family(ModelRef model) {
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

    /**
     * Closes what this runtime opened itself: a capture store given by location (after writing what its queue
     * holds) and a registry given by location. Sessions it opened stay the caller's to close.
     */
    @Override
    public synchronized void close() {
        try {
            if (ownsCapture) {
                capture.close();
            }
        } finally {
            if (ownsRegistry && registry != null) {
                registry.close();
                registry = null;
            }
        }
    }

    public static final class Builder {
        private Backends backends;
        private KeelCache cache;
        private String backendName;
        private Device device = Device.cpu();
        private final List<InferenceListener> listeners = new ArrayList<>();
        private MonitorHub monitors;
        private ModelRegistry registry;
        private String registryLocation;
        private CaptureStore capture;
        private String captureLocation;
        private CaptureOptions captureOptions;

        /** The backends to choose from; default: every provider ServiceLoader finds. */
        public Builder backends(Backends v) { backends = v; return this; }

        /** Names the backend; null defers to {@code keel.backend}, {@code KEEL_BACKEND}, then the best. */
        public Builder backend(String v) { backendName = v; return this; }

        public Builder device(Device v) { device = v; return this; }

        /**
         * The one folder Keel caches under (imported builtins, derived engine graphs, tokenized corpora, merged
         * LoRA folders); default {@code -Dkeel.cache}, {@code KEEL_CACHE}, {@code $XDG_CACHE_HOME/keel},
         * {@code ~/.cache/keel}.
         */
        public Builder cache(Path root) {
            if (root == null) {
                throw new InvalidInputException("cache folder is null; give a folder or leave it out for -Dkeel.cache "
                        + "/ KEEL_CACHE / ~/.cache/keel");
            }
            cache = KeelCache.at(root);
            return this;
        }

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

        /**
         * Turns on the inference log: every call of every session this runtime opens is captured (off the
         * inference thread; see {@link CaptureStore}), and {@link KeelRuntime#feedback} records feedback durably,
         * joined to its call. The caller owns the store and closes it.
         */
        public Builder capture(CaptureStore store) {
            if (store == null) {
                throw new InvalidInputException("capture store is null; pass an open store or a location");
            }
            requireNoCapture();
            capture = store;
            return this;
        }

        /**
         * Turns on the inference log in the store at {@code location} (a folder, an SQLite file such as
         * {@code capture.db}, or a JDBC URL; the registry's location works too), capturing every call. The runtime
         * opens it at {@link #build()} and closes it in {@link KeelRuntime#close()}. Needs {@code keel-registry} on
         * the class path (found by ServiceLoader).
         */
        public Builder capture(String location) {
            return capture(location, CaptureOptions.defaults());
        }

        /** As {@link #capture(String)}, with sampling, retention, redaction and tagging as {@code options} say. */
        public Builder capture(String location, CaptureOptions options) {
            if (location == null || location.isBlank()) {
                throw new InvalidInputException("capture location is empty; give a folder, an SQLite file (capture.db) "
                        + "or a JDBC URL");
            }
            if (options == null) {
                throw new InvalidInputException("capture options are null; use CaptureOptions.defaults()");
            }
            requireNoCapture();
            captureLocation = location;
            captureOptions = options;
            return this;
        }

        private void requireNoCapture() {
            if (capture != null || captureLocation != null) {
                throw new InvalidInputException("capture is already on for this runtime; give one capture store");
            }
        }

        public KeelRuntime build() {
            if (registry != null && registryLocation != null) {
                throw new InvalidInputException("both a registry and a registry location were given; give one");
            }
            Backends b = backends != null ? backends : Backends.discover();
            KeelCache c = cache != null ? cache : KeelCache.fromConfiguration();
            CaptureStore store = captureLocation != null ? CaptureStores.open(captureLocation, captureOptions) : capture;
            try {
                return new KeelRuntime(b, c, backendName, device, listeners, monitors, registry, registryLocation,
                        store, captureLocation != null);
            } catch (RuntimeException e) {
                if (captureLocation != null) {
                    store.close();
                }
                throw e;
            }
        }
    }
}
