package dev.keel.djl.internal.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.keel.adapters.AdaptedModels;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.UnsupportedCapabilityException;
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
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.checkpoint.KeelMetadata;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPT-2 model served in-process by DJL. Calls from many threads share the read-only weights; each call
 * has its own engine scope, freed when it returns. Every call, failed or not, emits one
 * {@link dev.keel.api.monitor.InferenceEvent} to the session's listeners. Sampling, streaming, stop strings
 * and block evaluation are the engine-neutral ones of {@code dev.keel.spi.infer}, so every backend gives the
 * same text and loss for the same checkpoint.
 */
public final class Gpt2Session extends SessionBase implements StepDecoding {
    private final Gpt2Model model;
    private final Tokenizer tokenizer;
    private final KeelCache cache;
    private volatile boolean useCache = true;

    private Gpt2Session(Gpt2Model model, Tokenizer tokenizer, ModelInfo info, SessionOptions options, KeelCache cache) {
        super(info, options);
        this.model = model;
        this.tokenizer = tokenizer;
        this.cache = cache;
    }

    /**
     * Opens a model folder (Keel's, or a Hugging Face GPT-2 folder with a tokenizer); a LoRA folder is merged
     * into its base on load.
     */
    public static Gpt2Session open(Path dir, SessionOptions options) {
        return open(dir, options, KeelCache.fromConfiguration());
    }

    /** As {@link #open(Path, SessionOptions)}, caching the corpora {@code evaluate} tokenizes in {@code cache}. */
    public static Gpt2Session open(Path dir, SessionOptions options, KeelCache cache) {
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
        Gpt2Model model = Gpt2Model.fromTensors(gpt2, AdaptedModels.kind(dir) == AdaptedModels.Kind.LORA
                ? AdaptedModels.mergedWeights(dir) : ModelFolder.readWeights(dir).tensors(), device);
        String version = metadata.modelVersion() != null ? metadata.modelVersion()
                : dir.toAbsolutePath().getFileName() + "@" + dir.resolve(ModelFolder.WEIGHTS).toFile().lastModified();
        return new Gpt2Session(model, tokenizer, new ModelInfo(gpt2, "djl", options.device(), version, dir), options,
                cache);
    }

    /** Continuous batching over this session's weights; close the batch before the session. */
    @Override
    public DecodeBatch openBatch() {
        return new DjlDecodeBatch(model);
    }

    @Override
    public List<InferenceListener> eventListeners() {
        return listeners();
    }

    /** Switches the key/value cache off (each token then re-reads the whole context), for comparisons. */
    public Gpt2Session withKvCache(boolean enabled) {
        this.useCache = enabled;
        return this;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    private Gpt2Config config() {
        return model.config();
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        return call(Operation.GENERATE, promptOf(request), call -> {
            require(request, "the generation request", "build one with GenerationRequest.builder()");
            TimedTokenizer timed = new TimedTokenizer(tokenizer);
            Generation.Outcome outcome;
            try (NDManager scope = model.manager().newSubManager();
                    WindowStepper stepper = new WindowStepper(scope, useCache)) {
                // the window slides past the context, so generation is bounded by max tokens only
                outcome = Generation.run(call.id(), request, timed, Integer.MAX_VALUE,
                        new SlidingWindow(config().nPositions(), stepper, useCache),
                        listener == null ? TokenListener.NONE : listener);
            } finally {
                call.tokenized(timed.nanos());
            }
            GenerationResult result = outcome.result();
            call.event().inputTokens(outcome.promptTokens()).outputTokens(result.tokenCount())
                    .firstToken(outcome.firstTokenNanos()).outputs(List.of(result.text()));
            return result;
        });
    }

    /**
     * The engine side of generation: reads tokens after the key/value cache (or, uncached, the whole window
     * each step). The shared {@link SlidingWindow} decides what to read, so text runs past {@code n_positions}
     * exactly as on every other engine.
     */
    private final class WindowStepper implements SlidingWindow.CachedModel, AutoCloseable {
        private final NDManager scope;
        private final KvCache cache;

        WindowStepper(NDManager scope, boolean cached) {
            this.scope = scope;
            this.cache = cached ? new KvCache(scope, config().nLayer()) : null;
        }

        @Override
        public void reset() {
            if (cache != null) {
                cache.clear();
            }
        }

        @Override
        public float[] feed(int[] tokens) {
            List<Integer> ids = new ArrayList<>(tokens.length);
            for (int id : tokens) {
                checkToken(id);
                ids.add(id);
            }
            return lastLogits(ids, cache);
        }

        private float[] lastLogits(List<Integer> tokens, KvCache kv) {
            try (NDManager local = scope.newSubManager()) {
                long[] ids = new long[tokens.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = tokens.get(i);
                }
                NDArray input = DjlEngine.ownedLongs(local, ids, new Shape(1, ids.length));
                NDArray logits = model.forward(local, input, kv, false);
                return logits.get(new NDIndex("0, -1, :")).toFloatArray();
            }
        }

        @Override
        public void close() {
            if (cache != null) {
                cache.close();
            }
        }
    }

    @Override
    public float[][] logits(int[] tokens) {
        return call(Operation.LOGITS, List.of(), call -> {
            checkTokens(tokens);
            call.event().inputTokens(tokens.length);
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
            }
        });
    }

    /** Mean-pooled final hidden states (after {@code ln_f}) over each text's tokens; see {@link CausalPooling}. */
    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions embedding) {
        return call(Operation.EMBED, texts, call -> {
            long t = System.nanoTime();
            int[][] tokens = CausalPooling.encode(texts, embedding, tokenizer, config().nPositions());
            call.tokenized(System.nanoTime() - t);
            long count = CausalPooling.tokenCount(tokens);
            call.event().inputTokens(count);
            return new EmbeddingResult(call.id(), CausalPooling.pool(tokens, config().nEmbd(),
                    options().maxBatchSize(), embedding.normalize(), tokenizer.padId(), this::hiddenStates), count);
        });
    }

    private float[][] hiddenStates(int[][] rows) {
        int length = rows[0].length;
        long[] ids = new long[rows.length * length];
        for (int r = 0; r < rows.length; r++) {
            for (int i = 0; i < length; i++) {
                ids[r * length + i] = rows[r][i];
            }
        }
        try (NDManager local = model.manager().newSubManager()) {
            NDArray input = DjlEngine.ownedLongs(local, ids, new Shape(rows.length, length));
            float[] flat = model.hidden(local, input, null, false).toFloatArray();
            int row = length * config().nEmbd();
            float[][] out = new float[rows.length][];
            for (int r = 0; r < rows.length; r++) {
                out[r] = java.util.Arrays.copyOfRange(flat, r * row, (r + 1) * row);
            }
            return out;
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
            checkToken(id);
        }
    }

    private void checkToken(int id) {
        if (id < 0 || id >= config().vocabSize()) {
            throw new InvalidInputException("token id " + id + " is outside the vocabulary [0, "
                    + config().vocabSize() + "); encode text with this session's tokenizer");
        }
    }

    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        return call(Operation.EVALUATE, sourceOf(corpus), call -> {
            require(corpus, "the corpus", "pass TextCorpus.of(path)");
            require(split, "the split", "pass Split.TRAIN, VAL or ALL");
            long t = System.nanoTime();
            TokenArray tokens = CorpusTokenizer.tokenize(corpus, tokenizer, cache).split(split);
            call.tokenized(System.nanoTime() - t);
            call.event().inputTokens(tokens.size());
            return BlockEvaluation.run(tokens, config().nPositions(), options().maxBatchSize(), this::lossSum);
        });
    }

    /** The summed negative log-likelihood of a batch of blocks. */
    private double lossSum(int[][] inputs, int[][] targets) {
        int rows = inputs.length;
        int length = inputs[0].length;
        long[] x = new long[rows * length];
        long[] y = new long[rows * length];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < length; i++) {
                x[r * length + i] = inputs[r][i];
                y[r * length + i] = targets[r][i];
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
    protected void release() {
        model.close();
    }
}
