package dev.keel.runtime.iterate;

import dev.keel.api.SessionClosedException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.iterate.ModelNotFoundException;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.RegistryEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.StepDecoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A session on {@code registry:NAME@ALIAS} that follows the alias: when the alias moves (in this process or
 * any other sharing the registry), the new version is opened beside the old one, new calls go to it, calls
 * already running finish on the old one, and the old one is closed when the last of them returns. No call
 * fails because of a switch. If the new version cannot be opened (its files were tampered with, say) the
 * session keeps serving the version it has and reports the failure in {@link #lastSwitchFailure()}; a deleted
 * alias likewise leaves the current version serving.
 *
 * <p>It decodes sequences together ({@link StepDecoding}) when its versions do: a batch adds each new sequence
 * to the batch of the version that is current then, and a sequence stays on the version it started on until
 * it leaves (a sliding window reads it again there), so a promotion never changes a running generation's
 * model and requests that arrive after it are decoded by the new version at once.
 */
public final class AliasFollowingSession implements InferenceSession, StepDecoding {
    private final ModelRegistry registry;
    private final String name;
    private final String alias;
    private final VersionOpener opener;
    private final Object switching = new Object();
    private final AtomicLong switches = new AtomicLong();
    private final ModelRegistry.Subscription subscription;
    private volatile Slot current;
    private volatile RuntimeException lastSwitchFailure;
    private volatile boolean closed;

    /** One opened version; it closes when it has been replaced and its last call has returned. */
    private static final class Slot {
        final int version;
        final InferenceSession session;
        // 1 for being current, plus 1 per call in flight; 0 means closed
        private final AtomicInteger refs = new AtomicInteger(1);

        Slot(int version, InferenceSession session) {
            this.version = version;
            this.session = session;
        }

        boolean tryAcquire() {
            for (int r = refs.get(); r > 0; r = refs.get()) {
                if (refs.compareAndSet(r, r + 1)) {
                    return true;
                }
            }
            return false;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                session.close();
            }
        }
    }

    /** Opens one verified version folder of the followed model as a session. */
    @FunctionalInterface
    public interface VersionOpener {
        InferenceSession open(int version, Path folder);
    }

    private AliasFollowingSession(ModelRegistry registry, String name, String alias, VersionOpener opener) {
        this.registry = registry;
        this.name = name;
        this.alias = alias;
        this.opener = opener;
        long seen = registry.lastSequence(); // before resolving, so no move between the two is missed
        ModelVersion v = resolve();
        this.current = new Slot(v.version(), opener.open(v.version(), registry.open(name, v.version())));
        ModelRegistry.Subscription sub;
        try {
            sub = registry.subscribe(seen, this::onEvent);
        } catch (RuntimeException e) {
            current.release();
            throw e;
        }
        this.subscription = sub;
    }

    /**
     * Opens the version {@code name@alias} points at now and follows the alias from then on. {@code opener}
     * opens a verified version folder (the runtime passes its own {@code open}).
     */
    public static AliasFollowingSession open(ModelRegistry registry, String name, String alias,
            Function<Path, InferenceSession> opener) {
        return new AliasFollowingSession(registry, name, alias, (version, folder) -> opener.apply(folder));
    }

    /**
     * As {@link #open(ModelRegistry, String, String, Function)}, telling the opener which version each folder is
     * (the runtime records calls in the inference log as served by {@code NAME} version {@code N}).
     */
    public static AliasFollowingSession open(ModelRegistry registry, String name, String alias, VersionOpener opener) {
        return new AliasFollowingSession(registry, name, alias, opener);
    }

    private ModelVersion resolve() {
        return registry.resolve(name, alias).orElseThrow(() -> new ModelNotFoundException("alias '" + alias
                + "' of '" + name + "' is not set in " + registry.location() + " (aliases: " + registry.aliases(name)
                + "); set it with keel registry alias --name " + name + " --alias " + alias + " --version N"));
    }

    private void onEvent(RegistryEvent event) {
        if (!event.moves(name, alias) || closed) {
            return;
        }
        // the alias's state now, not the event's: after a burst of moves only the last one is opened
        Optional<ModelVersion> target = registry.resolve(name, alias);
        if (target.isEmpty()) {
            lastSwitchFailure = new ModelNotFoundException("alias '" + alias + "' of '" + name + "' was deleted; "
                    + "still serving version " + current.version);
            return;
        }
        switchTo(target.get().version());
    }

    private void switchTo(int version) {
        synchronized (switching) {
            if (closed || current.version == version) {
                return;
            }
            InferenceSession opened;
            try {
                opened = opener.open(version, registry.open(name, version));
            } catch (RuntimeException e) {
                lastSwitchFailure = e;
                return;
            }
            Slot old = current;
            current = new Slot(version, opened);
            switches.incrementAndGet();
            old.release();
        }
    }

    private Slot acquire() {
        while (true) {
            if (closed) {
                // the same type every session throws after close (docs/api.md)
                throw new SessionClosedException("session on registry:" + name + "@" + alias + " is closed; open a "
                        + "new one");
            }
            Slot s = current;
            if (s.tryAcquire()) {
                return s;
            }
        }
    }

    private <T> T call(Function<InferenceSession, T> work) {
        Slot s = acquire();
        try {
            return work.apply(s.session);
        } finally {
            s.release();
        }
    }

    /** The version new calls go to. */
    public int currentVersion() {
        return current.version;
    }

    /** How many times the session moved to another version. */
    public long switches() {
        return switches.get();
    }

    /** Why the last attempt to follow the alias did not switch, if it failed. */
    public Optional<KeelException> lastSwitchFailure() {
        RuntimeException e = lastSwitchFailure;
        return e == null ? Optional.empty() : Optional.of(e instanceof KeelException k ? k
                : new KeelException("cannot open the alias's new version: " + e.getMessage(), e));
    }

    /** The current version's info, its version given as {@code NAME/VERSION}. */
    @Override
    public ModelInfo info() {
        Slot s = acquire(); // held, so a switch cannot close this version while its info is read
        try {
            ModelInfo i = s.session.info();
            return new ModelInfo(i.config(), i.backend(), i.device(), name + "/" + s.version, i.location());
        } finally {
            s.release();
        }
    }

    @Override
    public Tokenizer tokenizer() {
        return call(InferenceSession::tokenizer);
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        return call(s -> s.generate(request, listener));
    }

    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions options) {
        return call(s -> s.embed(texts, options));
    }

    @Override
    public ClassificationResult classify(List<String> texts) {
        return call(s -> s.classify(texts));
    }

    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        return call(s -> s.evaluate(corpus, split));
    }

    @Override
    public float[][] logits(int[] tokens) {
        return call(s -> s.logits(tokens));
    }

    /**
     * A batch over the alias's versions: one batch per version in use, each holding its version open. Fails
     * with {@link UnsupportedCapabilityException} when the current version cannot decode sequences together.
     */
    @Override
    public DecodeBatch openBatch() {
        return new FollowingBatch();
    }

    /** The listeners of the version that is current now (a batch tells the version of each of its sequences). */
    @Override
    public List<InferenceListener> eventListeners() {
        return call(s -> decoding(s).eventListeners());
    }

    private StepDecoding decoding(InferenceSession version) {
        return StepDecoding.of(version).orElseThrow(() -> new UnsupportedCapabilityException("version "
                + currentVersion() + " of registry:" + name + "@" + alias + " (" + version.getClass().getSimpleName()
                + ") cannot decode sequences together; it serves one generation at a time"));
    }

    /** Sequences decoded on the versions they joined on: each version's batch holds a reference on its version. */
    private final class FollowingBatch implements DecodeBatch {
        private final Map<Slot, DecodeBatch> batches = new LinkedHashMap<>();
        private final Map<Object, Slot> slotOf = new HashMap<>();

        FollowingBatch() {
            current(); // fails now when the current version cannot decode together
        }

        /** The current version's batch, opened (with a reference on the version) when it has none yet. */
        private Map.Entry<Slot, DecodeBatch> current() {
            Slot s = acquire();
            DecodeBatch b = batches.get(s);
            if (b != null) {
                s.release(); // its batch holds a reference already
                return Map.entry(s, b);
            }
            try {
                b = decoding(s.session).openBatch();
            } catch (RuntimeException e) {
                s.release();
                throw e;
            }
            batches.put(s, b);
            return Map.entry(s, b);
        }

        @Override
        public int context() {
            return current().getValue().context();
        }

        @Override
        public int size() {
            return slotOf.size();
        }

        @Override
        public float[] add(Object key, int[] tokens) {
            if (slotOf.containsKey(key)) {
                throw new IllegalStateException("sequence " + key + " is already in the batch; remove it first");
            }
            Map.Entry<Slot, DecodeBatch> c = current();
            float[] logits = c.getValue().add(key, tokens);
            slotOf.put(key, c.getKey());
            retire();
            return logits;
        }

        @Override
        public float[] reread(Object key, int[] tokens) {
            Slot s = slotOf.get(key);
            return s == null ? add(key, tokens) : batches.get(s).reread(key, tokens);
        }

        @Override
        public float[][] step(List<?> keys, int[] tokens) {
            if (keys.size() != slotOf.size() || tokens.length != keys.size()) {
                throw new IllegalStateException("a step advances all " + slotOf.size() + " sequences of the batch; "
                        + "got " + keys.size() + " keys and " + tokens.length + " tokens");
            }
            float[][] logits = new float[keys.size()][];
            for (Map.Entry<Slot, DecodeBatch> e : batches.entrySet()) {
                List<Object> mine = new ArrayList<>();
                List<Integer> at = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    if (slotOf.get(keys.get(i)) == e.getKey()) {
                        mine.add(keys.get(i));
                        at.add(i);
                    }
                }
                if (mine.isEmpty()) {
                    continue;
                }
                int[] own = new int[mine.size()];
                for (int j = 0; j < own.length; j++) {
                    own[j] = tokens[at.get(j)];
                }
                float[][] out = e.getValue().step(mine, own);
                for (int j = 0; j < out.length; j++) {
                    logits[at.get(j)] = out[j];
                }
            }
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] == null) {
                    throw new IllegalStateException("sequence " + keys.get(i) + " is not in the batch, or named twice");
                }
            }
            return logits;
        }

        @Override
        public void remove(Object key) {
            Slot s = slotOf.remove(key);
            if (s != null) {
                batches.get(s).remove(key);
                retire();
            }
        }

        @Override
        public List<InferenceListener> eventListeners(Object key) {
            Slot s = slotOf.get(key);
            return s == null ? null : decoding(s.session).eventListeners();
        }

        /** Closes the batches of versions that are no longer current once their last sequence left. */
        private void retire() {
            Slot now = current;
            for (Iterator<Map.Entry<Slot, DecodeBatch>> it = batches.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Slot, DecodeBatch> e = it.next();
                if (e.getKey() != now && e.getValue().size() == 0) {
                    it.remove();
                    e.getValue().close();
                    e.getKey().release();
                }
            }
        }

        @Override
        public void close() {
            for (Map.Entry<Slot, DecodeBatch> e : batches.entrySet()) {
                try {
                    e.getValue().close();
                } finally {
                    e.getKey().release();
                }
            }
            batches.clear();
            slotOf.clear();
        }
    }

    @Override
    public void close() {
        synchronized (switching) {
            if (closed) {
                return;
            }
            closed = true;
        }
        subscription.close();
        current.release();
    }
}
