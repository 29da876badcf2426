package dev.keel.onnx.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.infer.BlockEvaluation;
import dev.keel.spi.infer.CausalPooling;
import dev.keel.spi.infer.Generation;
import dev.keel.spi.infer.SlidingWindow;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.StepDecoding;
import dev.keel.api.monitor.InferenceListener;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A GPT-2 causal LM on ONNX Runtime, from a graph with a key/value cache: generation feeds the prompt once
 * and then one token per step, sliding the window past the context; evaluation scores a corpus split in non-overlapping blocks, batched. The
 * sampling, the generation loop and the block cutting are the SPI's shared ones, so a checkpoint gives the
 * same text and loss here as on every other engine. Thread-safe: ONNX Runtime runs concurrent calls on one
 * session, and each generation keeps its own cache.
 */
final class Gpt2OnnxSession extends SessionSupport implements StepDecoding {
    /** Logits held at once during evaluation, so a large vocabulary does not exhaust the heap. */
    private static final long EVAL_LOGITS_BUDGET = 64L << 20;

    private final Gpt2Config config;
    private final Tokenizer tokenizer;
    private final dev.keel.spi.KeelCache cache;

    Gpt2OnnxSession(OnnxModel model, SessionOptions options) {
        super(model, options);
        this.config = (Gpt2Config) model.config();
        this.tokenizer = model.tokenizer();
        this.cache = model.cache();
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Continuous batching over this session's graph; close the batch before the session. */
    @Override
    public DecodeBatch openBatch() {
        return openBatch(true);
    }

    /** A batch that writes steps in place when the graph can ({@code inPlace}), else the older swapping way. */
    DecodeBatch openBatch(boolean inPlace) {
        return new OnnxDecodeBatch(session, config, String.valueOf(info().location()), this::readAlone, inPlace);
    }

    /** One sequence read on an empty cache for a batch: its next-token logits and its cache, copied out. */
    private OnnxDecodeBatch.Alone readAlone(int[] tokens) {
        try (Step step = forward(new int[][] {tokens}, null)) {
            int v = config.vocabSize();
            float[] logits = java.util.Arrays.copyOfRange(step.logits()[0], (tokens.length - 1) * v, tokens.length * v);
            float[][] cache = new float[step.present().length][];
            for (int i = 0; i < cache.length; i++) {
                FloatBuffer b = step.present()[i].getFloatBuffer();
                cache[i] = new float[b.remaining()];
                b.get(cache[i]);
            }
            return new OnnxDecodeBatch.Alone(logits, cache, tokens.length);
        } catch (OrtException e) {
            throw new KeelException("ONNX Runtime failed while reading a sequence into a batch: " + e.getMessage(), e);
        }
    }

    @Override
    public List<InferenceListener> eventListeners() {
        return listeners();
    }

    /** One forward pass: logits {@code [batch][sequence*vocab]} and the new cache, valid until closed. */
    private record Step(float[][] logits, OnnxTensor[] present, OrtSession.Result result) implements AutoCloseable {
        @Override
        public void close() {
            result.close();
        }
    }

    private Step forward(int[][] tokens, OnnxTensor[] past) throws OrtException {
        int b = tokens.length;
        int t = tokens[0].length;
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            OrtSession.Result result = session.run(inputs(tokens, past, owned));
            FloatBuffer logits = ((OnnxTensor) result.get(Gpt2Graph.LOGITS).orElseThrow()).getFloatBuffer();
            float[][] out = new float[b][t * config.vocabSize()];
            for (int i = 0; i < b; i++) {
                logits.get(out[i]);
            }
            OnnxTensor[] present = new OnnxTensor[2 * config.nLayer()];
            for (int i = 0; i < config.nLayer(); i++) {
                present[2 * i] = (OnnxTensor) result.get(Gpt2Graph.presentKey(i)).orElseThrow();
                present[2 * i + 1] = (OnnxTensor) result.get(Gpt2Graph.presentValue(i)).orElseThrow();
            }
            return new Step(out, present, result);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    /** The graph's inputs for equal-length rows after {@code past} (null: none); new tensors go to {@code owned}. */
    private Map<String, OnnxTensor> inputs(int[][] tokens, OnnxTensor[] past, List<OnnxTensor> owned)
            throws OrtException {
        int b = tokens.length;
        int t = tokens[0].length;
        long[] flat = new long[b * t];
        for (int i = 0; i < b; i++) {
            checkVocab(tokens[i]);
            for (int p = 0; p < t; p++) {
                flat[i * t + p] = tokens[i][p];
            }
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        OnnxTensor ids = OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(flat), new long[] {b, t});
        owned.add(ids);
        inputs.put(Gpt2Graph.INPUT_IDS, ids);
        if (session.getInputNames().contains(Gpt2Graph.LEFT_PADDING)) { // graphs exported before it lack it
            OnnxTensor none = OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(new long[1]), new long[] {1});
            owned.add(none);
            inputs.put(Gpt2Graph.LEFT_PADDING, none);
        }
        if (session.getInputNames().contains(Gpt2Graph.CACHE_LENGTH)) { // format 5: -1, present = past + new
            OnnxTensor all = OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(new long[] {-1}), new long[] {1});
            owned.add(all);
            inputs.put(Gpt2Graph.CACHE_LENGTH, all);
        }
        for (int i = 0; i < config.nLayer(); i++) {
            OnnxTensor k;
            OnnxTensor v;
            if (past == null) {
                long[] empty = {b, config.nHead(), 0, config.headSize()};
                k = OnnxTensor.createTensor(Ort.env(), FloatBuffer.allocate(0), empty);
                owned.add(k);
                v = OnnxTensor.createTensor(Ort.env(), FloatBuffer.allocate(0), empty);
                owned.add(v);
            } else {
                k = past[2 * i];
                v = past[2 * i + 1];
            }
            inputs.put(Gpt2Graph.pastKey(i), k);
            inputs.put(Gpt2Graph.pastValue(i), v);
        }
        return inputs;
    }

    private void checkVocab(int[] tokens) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new InvalidInputException("token " + tokens[i] + " at position " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + "); encode the input with this "
                        + "model's tokenizer");
            }
        }
    }

    @Override
    public float[][] logits(int[] tokens) {
        return call(Operation.LOGITS, List.of(), call -> {
            if (tokens == null || tokens.length == 0) {
                throw new InvalidInputException("logits needs at least one token");
            }
            call.event().inputTokens(tokens.length);
            if (tokens.length > config.nPositions()) {
                throw new InvalidInputException(tokens.length + " tokens exceed the model's context of "
                        + config.nPositions() + "; pass at most that many");
            }
            try (Step step = forward(new int[][] {tokens}, null)) {
                int v = config.vocabSize();
                float[][] out = new float[tokens.length][v];
                for (int p = 0; p < tokens.length; p++) {
                    System.arraycopy(step.logits()[0], p * v, out[p], 0, v);
                }
                return out;
            }
        });
    }

    /** Mean-pooled final hidden states (after {@code ln_f}) over each text's tokens; see {@link CausalPooling}. */
    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions embedding) {
        return call(Operation.EMBED, texts, call -> {
            if (!session.getOutputNames().contains(Gpt2Graph.HIDDEN)) {
                throw new dev.keel.api.UnsupportedCapabilityException("the ONNX graph of " + info().location()
                        + " has no " + Gpt2Graph.HIDDEN + " output (it was exported by an older Keel); delete its "
                        + OnnxModel.GRAPH + " to serve a fresh export, or export the folder again into a new folder (keel export --backend onnx --model DIR --out NEW_DIR)");
            }
            long t0 = System.nanoTime();
            int[][] tokens = CausalPooling.encode(texts, embedding, tokenizer, config.nPositions());
            call.tokenized(System.nanoTime() - t0);
            long count = CausalPooling.tokenCount(tokens);
            call.event().inputTokens(count);
            return new EmbeddingResult(call.id(), CausalPooling.pool(tokens, config.nEmbd(), options().maxBatchSize(),
                    embedding.normalize(), tokenizer.padId(), this::hiddenStates), count);
        });
    }

    /** One pass with no past, fetching only the hidden states {@code [row][position*n_embd]}. */
    private float[][] hiddenStates(int[][] rows) {
        List<OnnxTensor> owned = new ArrayList<>();
        try (OrtSession.Result result = session.run(inputs(rows, null, owned), java.util.Set.of(Gpt2Graph.HIDDEN))) {
            FloatBuffer hidden = ((OnnxTensor) result.get(Gpt2Graph.HIDDEN).orElseThrow()).getFloatBuffer();
            float[][] out = new float[rows.length][rows[0].length * config.nEmbd()];
            for (float[] row : out) {
                hidden.get(row);
            }
            return out;
        } catch (OrtException e) {
            throw new KeelException("ONNX Runtime failed while embedding: " + e.getMessage(), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
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
            call.event().inputTokens(tokens.size());
            int batch = (int) Math.max(1, Math.min(options().maxBatchSize(),
                    EVAL_LOGITS_BUDGET / ((long) config.nPositions() * config.vocabSize() * 4)));
            return BlockEvaluation.run(tokens, config.nPositions(), batch, (inputs, targets) -> {
                int v = config.vocabSize();
                double sum = 0;
                try (Step step = forward(inputs, null)) {
                    for (int i = 0; i < inputs.length; i++) {
                        float[] logits = step.logits()[i];
                        for (int p = 0; p < targets[i].length; p++) {
                            sum += crossEntropy(logits, p * v, v, targets[i][p]);
                        }
                    }
                } catch (OrtException e) {
                    throw new KeelException("ONNX Runtime failed during evaluation: " + e.getMessage(), e);
                }
                return sum;
            });
        });
    }

    static double crossEntropy(float[] logits, int from, int v, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
            max = Math.max(max, logits[from + k]);
        }
        double z = 0;
        for (int k = 0; k < v; k++) {
            z += Math.exp(logits[from + k] - max);
        }
        return Math.log(z) + max - logits[from + target];
    }

    @Override
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        return call(Operation.GENERATE, promptOf(request), call -> {
            if (request == null) {
                throw new InvalidInputException("generate needs a request; build one with GenerationRequest.builder()");
            }
            try (Cache cache = new Cache()) {
                // the window slides past the context, so generation is bounded by max tokens only
                Generation.Outcome o = Generation.run(call.id(), request, tokenizer, Integer.MAX_VALUE,
                        new SlidingWindow(config.nPositions(), cache, true),
                        listener == null ? TokenListener.NONE : listener);
                call.event().inputTokens(o.promptTokens()).outputTokens(o.result().tokenCount())
                        .firstToken(o.firstTokenNanos()).outputs(List.of(o.result().text()));
                return o.result();
            }
        });
    }

    /**
     * One generation's key/value cache: the last step's present tensors feed the next step. The shared
     * {@link SlidingWindow} decides what to feed, so text runs past {@code n_positions} as on every engine.
     */
    private final class Cache implements SlidingWindow.CachedModel, AutoCloseable {
        private Step last;

        @Override
        public void reset() {
            close();
        }

        @Override
        public float[] feed(int[] ids) {
            checkVocab(ids);
            try {
                Step next = forward(new int[][] {ids}, last == null ? null : last.present());
                close();
                last = next;
            } catch (OrtException e) {
                throw new KeelException("ONNX Runtime failed during generation: " + e.getMessage(), e);
            }
            float[] all = last.logits()[0];
            int v = config.vocabSize();
            return java.util.Arrays.copyOfRange(all, all.length - v, all.length);
        }

        @Override
        public void close() {
            if (last != null) {
                last.close();
                last = null;
            }
        }
    }
}
