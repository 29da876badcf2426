package dev.keel.djl.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.djl.DjlEngine;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A GPT-2 model served in-process by DJL. Calls from many threads share the read-only weights; each call
 * has its own engine scope, freed when it returns. Every call, failed or not, emits one
 * {@link InferenceEvent} to the session's listeners.
 */
public final class Gpt2Session implements InferenceSession {
    private final Gpt2Model model;
    private final Tokenizer tokenizer;
    private final ModelInfo info;
    private final SessionOptions options;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean useCache = true;
    private boolean closed;

    private Gpt2Session(Gpt2Model model, Tokenizer tokenizer, ModelInfo info, SessionOptions options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.info = info;
        this.options = options;
    }

    /** Opens a model folder (Keel's, or a Hugging Face GPT-2 folder with a tokenizer). */
    public static Gpt2Session open(Path dir, SessionOptions options) {
        ModelConfig config = ModelFolder.readConfig(dir);
        if (!(config instanceof Gpt2Config gpt2)) {
            throw new UnsupportedCapabilityException("backend 'djl' serves the gpt2 family, but " + dir
                    + " holds a " + config.family() + " model; use a backend that serves it (keel backends)");
        }
        ai.djl.Device device = DjlEngine.device(options.device());
        Tokenizer tokenizer = ModelFolder.readTokenizer(dir);
        if (tokenizer.vocabSize() > gpt2.vocabSize()) {
            throw new dev.keel.api.CheckpointException("the tokenizer in " + dir + " has " + tokenizer.vocabSize()
                    + " tokens but config.json says vocab_size " + gpt2.vocabSize() + "; they come from different models");
        }
        KeelMetadata metadata = ModelFolder.readMetadata(dir);
        Gpt2Model model = Gpt2Model.fromTensors(gpt2, ModelFolder.readWeights(dir).tensors(), device);
        String version = metadata.modelVersion() != null ? metadata.modelVersion()
                : dir.toAbsolutePath().getFileName() + "@" + dir.resolve(ModelFolder.WEIGHTS).toFile().lastModified();
        return new Gpt2Session(model, tokenizer, new ModelInfo(gpt2, "djl", options.device(), version, dir), options);
    }

    /** Switches the key/value cache off (each token then re-reads the whole context), for comparisons. */
    public Gpt2Session withKvCache(boolean enabled) {
        this.useCache = enabled;
        return this;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    private Gpt2Config config() {
        return model.config();
    }

    /** Per-call timings and counts, turned into one event when the call ends. */
    private final class Call implements AutoCloseable {
        final String id = UUID.randomUUID().toString();
        final Instant timestamp = Instant.now();
        final long begin = System.nanoTime();
        final String operation;
        long tokenizeNanos;
        long queueNanos;
        long computeNanos;
        long inputTokens;
        long outputTokens;
        long firstTokenNanos;
        List<String> inputs = List.of();
        List<String> outputs = List.of();
        String error;
        boolean locked;

        Call(String operation) {
            this.operation = operation;
            long t = System.nanoTime();
            lock.readLock().lock();
            locked = true;
            queueNanos = System.nanoTime() - t;
            if (closed) {
                error = "session closed";
                throw new IllegalStateException("the session for " + info.location() + " is closed; open a new one");
            }
        }

        <T> T fail(RuntimeException e) {
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw e;
        }

        @Override
        public void close() {
            if (locked) {
                lock.readLock().unlock();
            }
            InferenceEvent event = new InferenceEvent(id, timestamp, operation, info.version(), "djl",
                    options.device().toString(), tokenizeNanos, queueNanos, computeNanos, inputs, inputTokens,
                    outputTokens, firstTokenNanos, outputs, List.of(), error);
            for (InferenceListener l : options.listeners()) {
                try {
                    l.onInference(event);
                } catch (RuntimeException ignored) {
                    // a monitor must never fail the host's call
                }
            }
        }
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        try (Call call = new Call("generate")) {
            try {
                return generate(call, request, listener);
            } catch (RuntimeException e) {
                return call.fail(e);
            }
        }
    }

    private GenerationResult generate(Call call, GenerationRequest request, TokenListener listener) {
        call.inputs = List.of(request.prompt());
        long t = System.nanoTime();
        int[] prompt = tokenizer.encode(request.prompt());
        call.tokenizeNanos = System.nanoTime() - t;
        call.inputTokens = prompt.length;
        if (prompt.length == 0) {
            prompt = new int[] {startToken()};
        }
        int context = config().nPositions();
        List<Integer> window = new ArrayList<>();
        for (int i = Math.max(0, prompt.length - context); i < prompt.length; i++) {
            window.add(prompt[i]);
        }
        Sampler sampler = new Sampler(request);
        List<Integer> generated = new ArrayList<>();
        StringBuilder emittedText = new StringBuilder();
        String stopReason = "length";
        String text = "";
        long computeStart = System.nanoTime();
        long firstTokenAt = 0;
        boolean cached = useCache;
        try (NDManager scope = model.manager().newSubManager();
                KvCache cache = cached ? new KvCache(scope, config().nLayer()) : null) {
            float[] logits = request.maxTokens() == 0 ? null : lastLogits(scope, window, cache, true);
            for (int i = 0; i < request.maxTokens(); i++) {
                int next = sampler.next(logits);
                if (i == 0) {
                    firstTokenAt = System.nanoTime();
                }
                generated.add(next);
                if (next == tokenizer.endOfTextId()) {
                    generated.remove(generated.size() - 1);
                    stopReason = "eos";
                    break;
                }
                text = tokenizer.decode(generated.stream().mapToInt(Integer::intValue).toArray());
                int stopAt = stopIndex(text, request.stop());
                if (stopAt >= 0) {
                    text = text.substring(0, stopAt);
                    emit(listener, next, text, emittedText, text.length());
                    stopReason = "stop";
                    break;
                }
                emit(listener, next, text, emittedText, text.length() - heldBack(text, request.stop()));
                if (i == request.maxTokens() - 1) {
                    break;
                }
                if (window.size() == context) {
                    // the context is full: keep its newer half and re-read it, the same in both modes
                    List<Integer> newer = new ArrayList<>(window.subList(context - context / 2, context));
                    window.clear();
                    window.addAll(newer);
                    window.add(next);
                    if (cache != null) {
                        cache.clear();
                    }
                    logits = lastLogits(scope, window, cache, true);
                } else {
                    window.add(next);
                    logits = cache != null ? lastLogits(scope, List.of(next), cache, false)
                            : lastLogits(scope, window, null, true);
                }
            }
            if ("length".equals(stopReason) || "eos".equals(stopReason)) {
                emit(listener, generated.isEmpty() ? -1 : generated.get(generated.size() - 1), text, emittedText,
                        text.length());
            }
        }
        long end = System.nanoTime();
        call.computeNanos = end - computeStart;
        call.outputTokens = generated.size();
        call.firstTokenNanos = firstTokenAt == 0 ? 0 : firstTokenAt - call.begin;
        call.outputs = List.of(text);
        double ttft = call.firstTokenNanos / 1e6;
        double perToken = generated.size() > 1 ? (end - firstTokenAt) / 1e6 / (generated.size() - 1) : ttft;
        return new GenerationResult(call.id, text, generated.stream().mapToInt(Integer::intValue).toArray(), ttft,
                perToken, stopReason);
    }

    private int startToken() {
        if (tokenizer.endOfTextId() >= 0) {
            return tokenizer.endOfTextId();
        }
        try {
            int[] newline = tokenizer.encode("\n");
            return newline.length == 1 ? newline[0] : 0;
        } catch (InvalidInputException e) {
            return 0;
        }
    }

    /** Streams the text decoded so far up to {@code upTo}, past what was already streamed. */
    private static void emit(TokenListener listener, int token, String text, StringBuilder emitted, int upTo) {
        if (upTo > emitted.length()) {
            String piece = text.substring(emitted.length(), upTo);
            emitted.append(piece);
            listener.onToken(token, piece);
        }
    }

    private static int stopIndex(String text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int i = s.isEmpty() ? -1 : text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Characters at the end of the text that could still grow into a stop string, so not streamed yet. */
    private static int heldBack(String text, List<String> stops) {
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > held; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    /** The logits for the token after {@code tokens}, read into the JVM. */
    private float[] lastLogits(NDManager scope, List<Integer> tokens, KvCache cache, boolean fullRead) {
        try (NDManager local = scope.newSubManager()) {
            long[] ids = new long[tokens.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tokens.get(i);
            }
            NDArray input = DjlEngine.ownedLongs(local, ids, new Shape(1, ids.length));
            NDArray logits = model.forward(local, input, cache, false);
            return logits.get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    @Override
    public float[][] logits(int[] tokens) {
        try (Call call = new Call("logits")) {
            try {
                return logits(call, tokens);
            } catch (RuntimeException e) {
                return call.fail(e);
            }
        }
    }

    private float[][] logits(Call call, int[] tokens) {
        checkTokens(tokens);
        call.inputTokens = tokens.length;
        long t = System.nanoTime();
        try (NDManager local = model.manager().newSubManager()) {
            long[] ids = new long[tokens.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tokens[i];
            }
            NDArray input = DjlEngine.ownedLongs(local, ids, new Shape(1, ids.length));
            float[] flat = model.forward(local, input, null, false).toFloatArray();
            int vocab = config().vocabSize();
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                out[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
            }
            return out;
        } finally {
            call.computeNanos = System.nanoTime() - t;
        }
    }

    private void checkTokens(int[] tokens) {
        if (tokens == null || tokens.length == 0) {
            throw new InvalidInputException("no tokens given; pass at least one token id");
        }
        if (tokens.length > config().nPositions()) {
            throw new InvalidInputException(tokens.length + " tokens do not fit the model's context of "
                    + config().nPositions() + "; pass at most that many");
        }
        for (int id : tokens) {
            if (id < 0 || id >= config().vocabSize()) {
                throw new InvalidInputException("token id " + id + " is outside the vocabulary [0, "
                        + config().vocabSize() + "); encode text with this session's tokenizer");
            }
        }
    }

    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        try (Call call = new Call("evaluate")) {
            try {
                return evaluate(call, corpus, split);
            } catch (RuntimeException e) {
                return call.fail(e);
            }
        }
    }

    private EvaluationResult evaluate(Call call, TextCorpus corpus, Split split) {
        call.inputs = List.of(corpus.source().toString());
        long t = System.nanoTime();
        TokenArray tokens = CorpusTokenizer.tokenize(corpus, tokenizer).split(split);
        call.tokenizeNanos = System.nanoTime() - t;
        call.inputTokens = tokens.size();
        if (tokens.size() < 2) {
            throw new InvalidInputException("the " + split.name().toLowerCase(java.util.Locale.ROOT) + " split of "
                    + corpus.source() + " has " + tokens.size() + " tokens; at least 2 are needed to score one");
        }
        long computeStart = System.nanoTime();
        int block = config().nPositions();
        int batch = Math.max(1, options.maxBatchSize());
        double sum = 0;
        long scored = 0;
        int fullBlocks = (tokens.size() - 1) / block;
        for (int first = 0; first < fullBlocks; first += batch) {
            int rows = Math.min(batch, fullBlocks - first);
            sum += scoreBlocks(tokens, first * block, rows, block);
            scored += (long) rows * block;
        }
        int tail = tokens.size() - 1 - fullBlocks * block;
        if (tail > 0) {
            sum += scoreBlocks(tokens, fullBlocks * block, 1, tail);
            scored += tail;
        }
        call.computeNanos = System.nanoTime() - computeStart;
        double loss = sum / scored;
        return new EvaluationResult(loss, Math.exp(loss), scored);
    }

    /** The summed negative log-likelihood of {@code rows} consecutive blocks of {@code length} starting at {@code from}. */
    private double scoreBlocks(TokenArray tokens, int from, int rows, int length) {
        long[] x = new long[rows * length];
        long[] y = new long[rows * length];
        int[] window = new int[length + 1];
        for (int r = 0; r < rows; r++) {
            tokens.copy(from + r * length, window, 0, length + 1);
            for (int i = 0; i < length; i++) {
                x[r * length + i] = window[i];
                y[r * length + i] = window[i + 1];
            }
        }
        try (NDManager local = model.manager().newSubManager()) {
            Shape shape = new Shape(rows, length);
            NDArray losses = model.tokenLosses(local, DjlEngine.ownedLongs(local, x, shape),
                    DjlEngine.ownedLongs(local, y, shape), false);
            double total = 0;
            for (float v : losses.toFloatArray()) {
                total += v;
            }
            return total;
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                model.close();
            }
        } catch (RuntimeException e) {
            throw new KeelException("closing the session failed: " + e.getMessage(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }
}
