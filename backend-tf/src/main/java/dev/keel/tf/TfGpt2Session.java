package dev.keel.tf;

import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
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
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A GPT-2 served by TensorFlow. The graph is built once, with dynamic batch and time, and the weights stay
 * resident as native tensors fed to their placeholders on every run (no copy, and no 2 GB GraphDef limit
 * as constants would have). Generation keeps a key/value cache: the prompt runs once, then one token per
 * step; once the context reaches {@code n_positions} each step recomputes the last {@code n_positions}
 * tokens, as nanoGPT crops its context.
 *
 * <p>Thread-safe: TensorFlow sessions accept concurrent runs, every call keeps its own cache, and a
 * read/write lock lets {@link #close()} wait for calls in flight.
 */
final class TfGpt2Session implements InferenceSession {
    private static final int EVAL_BATCH = 8;

    private final Gpt2Config config;
    private final Tokenizer tokenizer;
    private final ModelInfo info;
    private final List<InferenceListener> listeners;
    private final Graph graph;
    private final Session session;
    private final Placeholder<TInt32> ids;
    private final Placeholder<TInt32> targets;
    private final List<Placeholder<TFloat32>> pastKeys = new ArrayList<>();
    private final List<Placeholder<TFloat32>> pastValues = new ArrayList<>();
    private final Map<Placeholder<TFloat32>, TFloat32> weights = new LinkedHashMap<>();
    private final Gpt2Graph model;
    private final Operand<TFloat32> tokenLosses;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private TfGpt2Session(Path folder, Gpt2Weights w, Tokenizer tokenizer, SessionOptions options) {
        this.config = w.config();
        this.tokenizer = tokenizer;
        this.listeners = options.listeners();
        this.info = new ModelInfo(config, TfBackendProvider.NAME, options.device(), version(folder), folder);
        this.graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            Map<String, Placeholder<TFloat32>> byName = new LinkedHashMap<>();
            w.values().forEach((name, values) -> {
                long[] shape = dev.keel.spi.checkpoint.Gpt2Layout.shapes(config).get(name);
                Placeholder<TFloat32> p = tf.withName(name.replace('.', '_')).placeholder(TFloat32.class,
                        Placeholder.shape(Shape.of(shape)));
                byName.put(name, p);
                weights.put(p, TfTensors.floats(values, shape));
            });
            ids = tf.withName("input_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
            targets = tf.withName("targets").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
            for (int i = 0; i < config.nLayer(); i++) {
                Shape kv = Shape.of(-1, config.nHead(), -1, config.headSize());
                pastKeys.add(tf.withName("past_key_" + i).placeholder(TFloat32.class, Placeholder.shape(kv)));
                pastValues.add(tf.withName("past_value_" + i).placeholder(TFloat32.class, Placeholder.shape(kv)));
            }
            model = new Gpt2Graph(tf, config, byName::get, ids, pastKeys, pastValues);
            tokenLosses = model.tokenLosses(targets);
            session = new Session(graph, TfTensors.config(options.threads()));
        } catch (RuntimeException e) {
            weights.values().forEach(Tensor::close);
            graph.close();
            throw e;
        }
    }

    static TfGpt2Session open(Path folder, SessionOptions options) {
        Gpt2Weights w = Gpt2Weights.read(folder);
        Tokenizer tokenizer = ModelFolder.readTokenizer(folder);
        if (tokenizer.vocabSize() > w.config().vocabSize()) {
            throw new CheckpointException(folder + ": the tokenizer has " + tokenizer.vocabSize()
                    + " tokens but config.json says vocab_size " + w.config().vocabSize()
                    + "; the tokenizer and the weights must come from the same model");
        }
        return new TfGpt2Session(folder, w, tokenizer, options);
    }

    private static String version(Path folder) {
        String v = ModelFolder.readMetadata(folder).modelVersion();
        if (v != null) {
            return v;
        }
        try {
            Path weights = folder.resolve(ModelFolder.WEIGHTS);
            return "unversioned-" + Integer.toHexString(
                    Objects.hash(Files.size(weights), Files.getLastModifiedTime(weights).toMillis()));
        } catch (IOException e) {
            return "unversioned";
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public float[][] logits(int[] tokens) {
        return call("logits", List.of(), () -> tokens == null ? 0 : tokens.length, events -> {
            checkTokens(tokens, "logits");
            try (Result r = run(new int[][] {tokens}, null, model.logits)) {
                float[] flat = TfTensors.read((TFloat32) r.get(0));
                int v = config.vocabSize();
                float[][] out = new float[tokens.length][];
                for (int t = 0; t < tokens.length; t++) {
                    out[t] = java.util.Arrays.copyOfRange(flat, t * v, (t + 1) * v);
                }
                return out;
            }
        });
    }

    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        Objects.requireNonNull(split, "split");
        return call("evaluate", List.of(String.valueOf(corpus == null ? null : corpus.source())), () -> 0, events -> {
            if (corpus == null) {
                throw new InvalidInputException("corpus is null; pass the text to evaluate on");
            }
            long t0 = System.nanoTime();
            TokenArray tokens = CorpusTokenizer.tokenize(corpus, tokenizer).split(split);
            events.tokenizeNanos = System.nanoTime() - t0;
            int n = tokens.size();
            if (n < 2) {
                throw new InvalidInputException("the " + split.name().toLowerCase(java.util.Locale.ROOT) + " split of "
                        + corpus.source() + " has " + n + " tokens; evaluation needs at least 2");
            }
            checkVocab(tokens);
            int block = config.nPositions();
            double sum = 0;
            long scored = 0;
            List<Integer> starts = new ArrayList<>();
            for (int s = 0; s < n - 1; s += block) {
                starts.add(s);
            }
            for (int i = 0; i < starts.size(); ) {
                int len = Math.min(block, n - 1 - starts.get(i));
                int rows = 1;
                while (i + rows < starts.size() && rows < EVAL_BATCH
                        && Math.min(block, n - 1 - starts.get(i + rows)) == len) {
                    rows++;
                }
                int[][] x = new int[rows][len];
                int[][] y = new int[rows][len];
                for (int r = 0; r < rows; r++) {
                    tokens.copy(starts.get(i + r), x[r], 0, len);
                    tokens.copy(starts.get(i + r) + 1, y[r], 0, len);
                }
                try (Result res = run(x, y, tokenLosses)) {
                    for (float l : TfTensors.read((TFloat32) res.get(0))) {
                        sum += l;
                    }
                }
                scored += (long) rows * len;
                i += rows;
            }
            events.inputTokens = n;
            double loss = sum / scored;
            return new EvaluationResult(loss, Math.exp(loss), scored);
        });
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        Objects.requireNonNull(request, "request");
        TokenListener sink = listener == null ? TokenListener.NONE : listener;
        String id = UUID.randomUUID().toString();
        return call(id, "generate", List.of(request.prompt()), () -> 0, events -> {
            long start = System.nanoTime();
            int[] prompt = tokenizer.encode(request.prompt());
            events.tokenizeNanos = System.nanoTime() - start;
            if (prompt.length == 0) {
                if (tokenizer.endOfTextId() < 0) {
                    throw new InvalidInputException("the prompt is empty and this model's " + tokenizer.kind()
                            + " tokenizer has no end-of-text token to start from; give a prompt of at least one character");
                }
                prompt = new int[] {tokenizer.endOfTextId()};
            }
            checkVocab(prompt);
            events.inputTokens = prompt.length;
            Decoder decoder = new Decoder(tokenizer, request.stop(), sink);
            Sampler sampler = new Sampler(request);
            List<Integer> context = new ArrayList<>();
            for (int t : prompt) {
                context.add(t);
            }
            String reason = "length";
            long firstToken = 0;
            Result cache = null;
            try {
                for (int step = 0; step < request.maxTokens(); step++) {
                    float[] logits;
                    Result next;
                    int cached = cache == null ? 0 : (int) cache.get(1).shape().get(2);
                    if (cache != null && cached + 1 <= config.nPositions()) {
                        next = runCached(context.get(context.size() - 1), cache);
                    } else {
                        int from = Math.max(0, context.size() - config.nPositions());
                        int[] window = context.subList(from, context.size()).stream().mapToInt(Integer::intValue).toArray();
                        next = runCached(window, null);
                    }
                    if (cache != null) {
                        cache.close();
                    }
                    cache = next;
                    logits = TfTensors.read((TFloat32) cache.get(0));
                    int token = sampler.next(logits);
                    if (step == 0) {
                        firstToken = System.nanoTime();
                        events.firstTokenNanos = firstToken - start;
                    }
                    if (token == tokenizer.endOfTextId()) {
                        reason = "eos";
                        break;
                    }
                    context.add(token);
                    if (decoder.add(token)) {
                        reason = "stop";
                        break;
                    }
                }
            } finally {
                if (cache != null) {
                    cache.close();
                }
            }
            String text = decoder.finish();
            int[] generated = decoder.tokens();
            long end = System.nanoTime();
            events.outputTokens = generated.length;
            events.outputs = List.of(text);
            double ttft = firstToken == 0 ? 0 : (firstToken - start) / 1e6;
            double perToken = generated.length > 1 ? (end - firstToken) / 1e6 / (generated.length - 1) : 0;
            return new GenerationResult(id, text, generated, ttft, perToken, reason);
        });
    }

    /** One step: the given tokens after the cached keys and values; result 0 is the last logits. */
    private Result runCached(int[] tokens, Result cache) {
        Session.Runner runner = session.runner();
        List<Tensor> owned = new ArrayList<>();
        try {
            TInt32 x = TfTensors.ints(tokens, 1, tokens.length);
            owned.add(x);
            runner.feed(ids, x);
            feedPast(runner, cache, 1, owned);
            weights.forEach(runner::feed);
            runner.fetch(model.lastLogits);
            model.presentKeys.forEach(runner::fetch);
            model.presentValues.forEach(runner::fetch);
            return runner.run();
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    private Result runCached(int token, Result cache) {
        return runCached(new int[] {token}, cache);
    }

    private void feedPast(Session.Runner runner, Result cache, int batch, List<Tensor> owned) {
        int layers = config.nLayer();
        for (int i = 0; i < layers; i++) {
            if (cache == null) {
                TFloat32 empty = TFloat32.tensorOf(Shape.of(batch, config.nHead(), 0, config.headSize()));
                owned.add(empty);
                runner.feed(pastKeys.get(i), empty);
                runner.feed(pastValues.get(i), empty);
            } else {
                runner.feed(pastKeys.get(i), cache.get(1 + i));
                runner.feed(pastValues.get(i), cache.get(1 + layers + i));
            }
        }
    }

    /** A full pass over {@code x} (rows of equal length) with no past, fetching {@code output}. */
    private Result run(int[][] x, int[][] y, Operand<TFloat32> output) {
        int rows = x.length;
        int len = x[0].length;
        Session.Runner runner = session.runner();
        List<Tensor> owned = new ArrayList<>();
        try {
            TInt32 xt = TfTensors.ints(flatten(x), rows, len);
            owned.add(xt);
            runner.feed(ids, xt);
            if (y != null) {
                TInt32 yt = TfTensors.ints(flatten(y), rows, len);
                owned.add(yt);
                runner.feed(targets, yt);
            }
            feedPast(runner, null, rows, owned);
            weights.forEach(runner::feed);
            return runner.fetch(output).run();
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    private static int[] flatten(int[][] rows) {
        int len = rows[0].length;
        int[] out = new int[rows.length * len];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * len, len);
        }
        return out;
    }

    private void checkTokens(int[] tokens, String operation) {
        if (tokens == null || tokens.length == 0) {
            throw new InvalidInputException(operation + " needs at least one token; got none");
        }
        if (tokens.length > config.nPositions()) {
            throw new InvalidInputException(operation + " got " + tokens.length + " tokens but the model's context "
                    + "(n_positions) is " + config.nPositions() + "; pass at most " + config.nPositions()
                    + " tokens (split longer input into blocks)");
        }
        checkVocab(tokens);
    }

    private void checkVocab(int[] tokens) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new InvalidInputException("token " + tokens[i] + " at position " + i + " is outside the "
                        + "vocabulary of " + config.vocabSize() + "; encode text with this model's tokenizer");
            }
        }
    }

    private void checkVocab(TokenArray tokens) {
        for (int i = 0; i < tokens.size(); i++) {
            int t = tokens.get(i);
            if (t < 0 || t >= config.vocabSize()) {
                throw new InvalidInputException("corpus token " + t + " at position " + i + " is outside the "
                        + "vocabulary of " + config.vocabSize() + "; the corpus must be encoded with this model's tokenizer");
            }
        }
    }

    /** What a call fills in for its event. */
    private static final class EventFields {
        long tokenizeNanos;
        long inputTokens;
        long outputTokens;
        long firstTokenNanos;
        List<String> outputs = List.of();
    }

    private interface Body<T> {
        T run(EventFields events);
    }

    private <T> T call(String operation, List<String> inputs, Supplier<Integer> inputTokens, Body<T> body) {
        return call(UUID.randomUUID().toString(), operation, inputs, inputTokens, body);
    }

    /** Runs one API call under the read lock and reports exactly one event, failed or not. */
    private <T> T call(String id, String operation, List<String> inputs, Supplier<Integer> inputTokens, Body<T> body) {
        Instant at = Instant.now();
        long start = System.nanoTime();
        EventFields f = new EventFields();
        String error = null;
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("this tf inference session is closed; open a new one");
            }
            f.inputTokens = inputTokens.get();
            return body.run(f);
        } catch (RuntimeException e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
            throw e instanceof KeelException || e instanceof IllegalStateException ? e : translate(e);
        } finally {
            lock.readLock().unlock();
            long compute = System.nanoTime() - start - f.tokenizeNanos;
            InferenceEvent event = new InferenceEvent(id, at, operation, info.version(), TfBackendProvider.NAME,
                    info.device().toString(), f.tokenizeNanos, 0, compute, inputs, f.inputTokens, f.outputTokens,
                    f.firstTokenNanos, f.outputs, List.of(), error);
            for (InferenceListener l : listeners) {
                try {
                    l.onInference(event);
                } catch (RuntimeException ignored) {
                    // A listener must never fail the host's call (GUIDE §2.7).
                }
            }
        }
    }

    private static RuntimeException translate(RuntimeException e) {
        return e instanceof IllegalArgumentException || e instanceof NullPointerException
                ? new InvalidInputException(e.getMessage(), e)
                : new KeelException("TensorFlow failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            session.close();
            weights.values().forEach(Tensor::close);
            graph.close();
        } finally {
            lock.writeLock().unlock();
        }
    }

    static Device requireCpu(Device device) {
        if (device.isGpu()) {
            throw new dev.keel.api.UnsupportedCapabilityException("backend 'tf' runs on the CPU only: the "
                    + "TensorFlow Java GPU natives (tensorflow-core-native classifier linux-x86_64-gpu) are not "
                    + "verified in this build; use --device cpu, or the djl backend for " + device);
        }
        return device;
    }
}
