package dev.keel.tf.internal;

import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.KeelCache;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.infer.BlockEvaluation;
import dev.keel.spi.infer.CausalPooling;
import dev.keel.spi.infer.Generation;
import dev.keel.spi.infer.SessionBase;
import dev.keel.spi.infer.SlidingWindow;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.StepDecoding;
import dev.keel.api.monitor.InferenceListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * step. Sampling, streaming, stop strings and block evaluation are the shared {@code dev.keel.spi.infer}
 * pieces, so the same checkpoint and seed give the same text and loss as on every other backend.
 *
 * <p>Thread-safe: TensorFlow sessions accept concurrent runs, every call keeps its own cache, and the shared
 * {@link SessionBase} lets {@link #close()} wait for calls in flight.
 */
final class TfGpt2Session extends SessionBase implements StepDecoding {
    private final Gpt2Config config;
    private final Tokenizer tokenizer;
    private final KeelCache cache;
    private final int maxBatch;
    private final Graph graph;
    private final Session session;
    private final Placeholder<TInt32> ids;
    private final Placeholder<TInt32> targets;
    private final List<Placeholder<TFloat32>> pastKeys = new ArrayList<>();
    private final List<Placeholder<TFloat32>> pastValues = new ArrayList<>();
    private final Operand<TInt32> leftPadding;
    private final Map<Placeholder<TFloat32>, TFloat32> weights = new LinkedHashMap<>();
    private final Gpt2Graph model;
    private final Operand<TFloat32> tokenLosses;

    private TfGpt2Session(Path folder, Gpt2Weights w, Tokenizer tokenizer, SessionOptions options, KeelCache cache) {
        super(new ModelInfo(w.config(), TfBackendProvider.NAME, options.device(), version(folder), folder), options);
        this.config = w.config();
        this.tokenizer = tokenizer;
        this.cache = cache;
        this.maxBatch = options.maxBatchSize();
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
            leftPadding = tf.withName("left_padding").placeholderWithDefault(tf.constant(new int[] {0}), Shape.of(-1));
            model = new Gpt2Graph(tf, config, byName::get, ids, pastKeys, pastValues, leftPadding);
            tokenLosses = model.tokenLosses(targets);
            session = new Session(graph, TfTensors.config(options.threads()));
        } catch (RuntimeException e) {
            weights.values().forEach(Tensor::close);
            graph.close();
            throw e;
        }
    }

    static TfGpt2Session open(Path folder, SessionOptions options) {
        return open(folder, options, KeelCache.fromConfiguration());
    }

    /** As {@link #open(Path, SessionOptions)}, caching the corpora {@code evaluate} tokenizes in {@code cache}. */
    static TfGpt2Session open(Path folder, SessionOptions options, KeelCache cache) {
        Gpt2Weights w = Gpt2Weights.read(folder);
        Tokenizer tokenizer = ModelFolder.readTokenizer(folder);
        if (tokenizer.vocabSize() > w.config().vocabSize()) {
            throw new CheckpointException(folder + ": the tokenizer has " + tokenizer.vocabSize()
                    + " tokens but config.json says vocab_size " + w.config().vocabSize()
                    + "; the tokenizer and the weights must come from the same model");
        }
        return new TfGpt2Session(folder, w, tokenizer, options, cache);
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
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public float[][] logits(int[] tokens) {
        return call(Operation.LOGITS, List.of(), call -> {
            checkTokens(tokens, "logits");
            call.event().inputTokens(tokens.length);
            try (Result r = run(new int[][] {tokens}, null, model.logits)) {
                float[] flat = TfTensors.read((TFloat32) r.get(0));
                int v = config.vocabSize();
                float[][] out = new float[tokens.length][];
                for (int t = 0; t < tokens.length; t++) {
                    out[t] = Arrays.copyOfRange(flat, t * v, (t + 1) * v);
                }
                return out;
            }
        });
    }

    /** Mean-pooled final hidden states (after {@code ln_f}) over each text's tokens; see {@link CausalPooling}. */
    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions embedding) {
        return call(Operation.EMBED, texts, call -> {
            long t0 = System.nanoTime();
            int[][] tokens = CausalPooling.encode(texts, embedding, tokenizer, config.nPositions());
            call.tokenized(System.nanoTime() - t0);
            long count = CausalPooling.tokenCount(tokens);
            call.event().inputTokens(count);
            return new EmbeddingResult(call.id(), CausalPooling.pool(tokens, config.nEmbd(), maxBatch, embedding.normalize(),
                    tokenizer.padId(), rows -> {
                        try (Result r = run(rows, null, model.hidden)) {
                            float[] flat = TfTensors.read((TFloat32) r.get(0));
                            int row = rows[0].length * config.nEmbd();
                            float[][] out = new float[rows.length][];
                            for (int i = 0; i < rows.length; i++) {
                                out[i] = Arrays.copyOfRange(flat, i * row, (i + 1) * row);
                            }
                            return out;
                        }
                    }), count);
        });
    }

    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        return call(Operation.EVALUATE, sourceOf(corpus), call -> {
            if (corpus == null || split == null) {
                throw new InvalidInputException("evaluate needs a corpus and a split (train, val or all)");
            }
            long t0 = System.nanoTime();
            TokenArray tokens = CorpusTokenizer.tokenize(corpus, tokenizer, cache).split(split);
            call.tokenized(System.nanoTime() - t0);
            checkVocab(tokens);
            call.event().inputTokens(tokens.size());
            return BlockEvaluation.run(tokens, config.nPositions(), maxBatch, (x, y) -> {
                double sum = 0;
                try (Result res = run(x, y, tokenLosses)) {
                    for (float l : TfTensors.read((TFloat32) res.get(0))) {
                        sum += l;
                    }
                }
                return sum;
            });
        });
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        return call(Operation.GENERATE, promptOf(request), call -> {
            if (request == null) {
                throw new InvalidInputException("generate needs a request; build one with GenerationRequest.builder()");
            }
            Cache cache = new Cache();
            try {
                // the window slides past the context, so generation is bounded by max tokens only
                Generation.Outcome o = Generation.run(call.id(), request, tokenizer, Integer.MAX_VALUE,
                        new SlidingWindow(config.nPositions(), cache, true),
                        listener == null ? TokenListener.NONE : listener);
                call.event().inputTokens(o.promptTokens()).outputTokens(o.result().tokenCount())
                        .firstToken(o.firstTokenNanos()).outputs(List.of(o.result().text()));
                return o.result();
            } finally {
                cache.close();
            }
        });
    }

    /** One generation's keys and values: the last run's result, whose tensors feed the next step. */
    private final class Cache implements SlidingWindow.CachedModel, AutoCloseable {
        private Result last;

        @Override
        public void reset() {
            close();
        }

        @Override
        public float[] feed(int[] tokens) {
            checkVocab(tokens);
            Result next = runCached(tokens, last);
            close();
            last = next;
            return TfTensors.read((TFloat32) last.get(0));
        }

        @Override
        public void close() {
            if (last != null) {
                last.close();
                last = null;
            }
        }
    }

    /** Continuous batching over this session's graph; close the batch before the session. */
    @Override
    public DecodeBatch openBatch() {
        return new TfDecodeBatch(config, this::runBatch);
    }

    @Override
    public List<InferenceListener> eventListeners() {
        return listeners();
    }

    /**
     * One cached run, also a continuous batch's: equal-length rows after {@code past} (every layer's keys,
     * then every layer's values; null: no past) with each row's left padding (null: none). Result 0 is each row's last logits, then the
     * present keys and values in the same order.
     */
    Result runBatch(int[][] tokens, List<TFloat32> past, int[] padding) {
        Session.Runner runner = session.runner();
        List<Tensor> owned = new ArrayList<>();
        try {
            TInt32 x = TfTensors.ints(flatten(tokens), tokens.length, tokens[0].length);
            owned.add(x);
            runner.feed(ids, x);
            int layers = config.nLayer();
            if (past == null) {
                feedPast(runner, null, tokens.length, owned);
            }
            for (int i = 0; past != null && i < layers; i++) {
                runner.feed(pastKeys.get(i), past.get(i));
                runner.feed(pastValues.get(i), past.get(layers + i));
            }
            if (padding != null) {
                TInt32 p = TfTensors.ints(padding, padding.length);
                owned.add(p);
                runner.feed(leftPadding, p);
            }
            weights.forEach(runner::feed);
            runner.fetch(model.lastLogits);
            model.presentKeys.forEach(runner::fetch);
            model.presentValues.forEach(runner::fetch);
            return runner.run();
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    /** One step: the given tokens after the cached keys and values; result 0 is the last logits. */
    private Result runCached(int[] tokens, Result cache) {
        List<TFloat32> past = null;
        if (cache != null) {
            past = new ArrayList<>();
            for (int i = 1; i <= 2 * config.nLayer(); i++) {
                past.add((TFloat32) cache.get(i));
            }
        }
        return runBatch(new int[][] {tokens}, past, null);
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

    /** TensorFlow reports bad feeds (shapes, ids) with IllegalArgumentException: the caller's input. */
    @Override
    protected KeelException failure(Operation operation, Exception e) {
        return e instanceof IllegalArgumentException || e instanceof NullPointerException
                ? new InvalidInputException(e.getMessage(), e)
                : new KeelException("TensorFlow failed during " + operation.label() + ": " + e.getMessage(), e);
    }

    @Override
    protected void release() {
        session.close();
        weights.values().forEach(Tensor::close);
        graph.close();
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
