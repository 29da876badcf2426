package dev.keel.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Semaphore;

/**
 * A GPT-2 causal LM on ONNX Runtime, from a graph with a key/value cache: generation feeds the prompt once
 * and then one token per step; evaluation scores a corpus split in non-overlapping blocks. Thread-safe (ORT
 * runs concurrent calls on one session); at most {@code maxQueue} calls run or wait at once.
 */
final class Gpt2OnnxSession extends SessionSupport {
    /** Logits held at once during evaluation, so a large vocabulary does not exhaust the heap. */
    private static final long EVAL_LOGITS_BUDGET = 64L << 20;

    private final Gpt2Config config;
    private final Tokenizer tokenizer;
    private final Semaphore admission;

    Gpt2OnnxSession(OnnxModel model, SessionOptions options) {
        super(model, options);
        this.config = (Gpt2Config) model.config();
        this.tokenizer = model.tokenizer();
        this.admission = new Semaphore(options.maxQueue());
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** One forward pass: logits {@code [batch][sequence*vocab]} and the new cache. */
    private record Step(float[][] logits, OnnxTensor[] present, OrtSession.Result result) implements AutoCloseable {
        @Override
        public void close() {
            result.close();
        }
    }

    private Step forward(long[][] tokens, OnnxTensor[] past) throws OrtException {
        int b = tokens.length;
        int t = tokens[0].length;
        long[] flat = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(tokens[i], 0, flat, i * t, t);
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            OnnxTensor ids = OnnxTensor.createTensor(Ort.env(), LongBuffer.wrap(flat), new long[] {b, t});
            owned.add(ids);
            inputs.put(Gpt2Graph.INPUT_IDS, ids);
            for (int i = 0; i < config.nLayer(); i++) {
                OnnxTensor k;
                OnnxTensor v;
                if (past == null) {
                    long[] empty = {b, config.nHead(), 0, config.headSize()};
                    k = OnnxTensor.createTensor(Ort.env(), FloatBuffer.allocate(0), empty);
                    v = OnnxTensor.createTensor(Ort.env(), FloatBuffer.allocate(0), empty);
                    owned.add(k);
                    owned.add(v);
                } else {
                    k = past[2 * i];
                    v = past[2 * i + 1];
                }
                inputs.put(Gpt2Graph.pastKey(i), k);
                inputs.put(Gpt2Graph.pastValue(i), v);
            }
            OrtSession.Result result = session.run(inputs);
            FloatBuffer logits = ((OnnxTensor) result.get(Gpt2Graph.LOGITS).orElseThrow()).getFloatBuffer();
            int per = t * config.vocabSize();
            float[][] out = new float[b][per];
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

    private void admit() {
        ensureOpen();
        if (!admission.tryAcquire()) {
            throw new KeelException("the session is busy (" + options.maxQueue() + " calls running); retry later, "
                    + "or open it with a larger SessionOptions.maxQueue");
        }
    }

    @Override
    public float[][] logits(int[] tokens) {
        long[] ids;
        try {
            if (tokens == null || tokens.length == 0) {
                throw new InvalidInputException("logits needs at least one token");
            }
            if (tokens.length > config.nPositions()) {
                throw new InvalidInputException(tokens.length + " tokens exceed the model's context of "
                        + config.nPositions() + "; pass at most that many");
            }
            ids = checkedIds(tokens);
        } catch (InvalidInputException e) {
            // refused input still counts as a failed call for the monitors' error rate
            emit(newId(), Instant.now(), "logits", 0, 0, 0, List.of(), tokens == null ? 0 : tokens.length, 0, 0,
                    List.of(), e.getMessage());
            throw e;
        }
        admit();
        String id = newId();
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        try (Step step = forward(new long[][] {ids}, null)) {
            int v = config.vocabSize();
            float[][] out = new float[tokens.length][v];
            for (int p = 0; p < tokens.length; p++) {
                System.arraycopy(step.logits()[0], p * v, out[p], 0, v);
            }
            emit(id, start, "logits", 0, 0, System.nanoTime() - t0, List.of(), tokens.length, 0, 0, List.of(), null);
            return out;
        } catch (OrtException e) {
            emit(id, start, "logits", 0, 0, System.nanoTime() - t0, List.of(), tokens.length, 0, 0, List.of(),
                    e.getMessage());
            throw new KeelException("ONNX Runtime failed computing logits: " + e.getMessage(), e);
        } finally {
            admission.release();
        }
    }

    private long[] checkedIds(int[] tokens) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new InvalidInputException("token " + tokens[i] + " at position " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            ids[i] = tokens[i];
        }
        return ids;
    }

    /**
     * Mean next-token loss over the split, in non-overlapping blocks of the context length: block j feeds
     * tokens {@code [j*T, (j+1)*T)} and scores the next token of each; a shorter last block scores the rest,
     * so every token after the first is scored exactly once.
     */
    @Override
    public EvaluationResult evaluate(TextCorpus corpus, Split split) {
        if (corpus == null || split == null) {
            throw new InvalidInputException("evaluate needs a corpus and a split (train, val or all)");
        }
        admit();
        String id = newId();
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        long tokenizeNanos = 0;
        try {
            TokenArray tokens = CorpusTokenizer.tokenize(corpus, tokenizer).split(split);
            tokenizeNanos = System.nanoTime() - t0;
            if (tokens.vocabSize() > config.vocabSize()) {
                throw new InvalidInputException("the corpus tokenizer has " + tokens.vocabSize()
                        + " tokens but the model only " + config.vocabSize());
            }
            int n = tokens.size();
            if (n < 2) {
                throw new InvalidInputException("the " + split.name().toLowerCase(java.util.Locale.ROOT)
                        + " split of " + corpus.source() + " has " + n + " tokens; evaluation needs at least 2");
            }
            int block = config.nPositions();
            int fullBlocks = (n - 1) / block;
            int batch = (int) Math.max(1, Math.min(options.maxBatchSize(),
                    EVAL_LOGITS_BUDGET / ((long) block * config.vocabSize() * 4)));
            double sum = 0;
            long scored = 0;
            for (int first = 0; first < fullBlocks; first += batch) {
                int b = Math.min(batch, fullBlocks - first);
                sum += scoreBlocks(tokens, first * block, b, block);
                scored += (long) b * block;
            }
            int rest = n - 1 - fullBlocks * block;
            if (rest > 0) {
                sum += scoreBlocks(tokens, fullBlocks * block, 1, rest);
                scored += rest;
            }
            double loss = sum / scored;
            long compute = System.nanoTime() - t0 - tokenizeNanos;
            emit(id, start, "evaluate", tokenizeNanos, 0, compute, List.of(), scored, 0, 0, List.of(), null);
            return new EvaluationResult(loss, Math.exp(loss), scored);
        } catch (OrtException e) {
            emit(id, start, "evaluate", tokenizeNanos, 0, System.nanoTime() - t0 - tokenizeNanos, List.of(), 0, 0, 0,
                    List.of(), e.getMessage());
            throw new KeelException("ONNX Runtime failed during evaluation: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            emit(id, start, "evaluate", tokenizeNanos, 0, System.nanoTime() - t0 - tokenizeNanos, List.of(), 0, 0, 0,
                    List.of(), String.valueOf(e.getMessage()));
            throw e;
        } finally {
            admission.release();
        }
    }

    /** Summed cross-entropy (nats) of {@code b} consecutive blocks of {@code len} inputs from {@code offset}. */
    private double scoreBlocks(TokenArray tokens, int offset, int b, int len) throws OrtException {
        long[][] inputs = new long[b][len];
        int[] targets = new int[b * len];
        int[] buf = new int[len + 1];
        for (int i = 0; i < b; i++) {
            tokens.copy(offset + i * len, buf, 0, len + 1);
            for (int p = 0; p < len; p++) {
                inputs[i][p] = buf[p];
                targets[i * len + p] = buf[p + 1];
            }
        }
        double sum = 0;
        int v = config.vocabSize();
        try (Step step = forward(inputs, null)) {
            for (int i = 0; i < b; i++) {
                float[] logits = step.logits()[i];
                for (int p = 0; p < len; p++) {
                    sum += crossEntropy(logits, p * v, v, targets[i * len + p]);
                }
            }
        }
        return sum;
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
        if (request == null) {
            throw new InvalidInputException("generation request is null; use GenerationRequest.of(prompt, tokens)");
        }
        TokenListener sink = listener == null ? TokenListener.NONE : listener;
        admit();
        String id = newId();
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        long tokenizeNanos = 0;
        int promptTokens = 0;
        try {
            int[] prompt = tokenizer.encode(request.prompt());
            if (prompt.length == 0) {
                int bos = tokenizer.endOfTextId();
                prompt = new int[] {bos >= 0 ? bos : 0};
            }
            checkedIds(prompt);
            promptTokens = prompt.length;
            tokenizeNanos = System.nanoTime() - t0;
            Decoder decoder = new Decoder(prompt, request, sink);
            decoder.run();
            long end = System.nanoTime();
            long ttft = decoder.firstTokenAt == 0 ? 0 : decoder.firstTokenAt - t0;
            int made = decoder.generated.size();
            double msPerToken = made > 1 ? (end - decoder.firstTokenAt) / 1e6 / (made - 1) : ttft / 1e6;
            emit(id, start, "generate", tokenizeNanos, 0, end - t0 - tokenizeNanos, List.of(request.prompt()),
                    promptTokens, made, ttft, List.of(decoder.text), null);
            return new GenerationResult(id, decoder.text, decoder.generated.stream().mapToInt(Integer::intValue)
                    .toArray(), ttft / 1e6, msPerToken, decoder.stopReason);
        } catch (OrtException e) {
            emit(id, start, "generate", tokenizeNanos, 0, System.nanoTime() - t0 - tokenizeNanos,
                    List.of(request.prompt()), promptTokens, 0, 0, List.of(), e.getMessage());
            throw new KeelException("ONNX Runtime failed during generation: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            emit(id, start, "generate", tokenizeNanos, 0, System.nanoTime() - t0 - tokenizeNanos,
                    List.of(request.prompt()), promptTokens, 0, 0, List.of(), String.valueOf(e.getMessage()));
            throw e;
        } finally {
            admission.release();
        }
    }

    /** One generation: the cache, the sampler and the streamed text. */
    private final class Decoder {
        final List<Integer> context = new ArrayList<>();
        final List<Integer> generated = new ArrayList<>();
        final GenerationRequest request;
        final TokenListener sink;
        final Random random;
        long firstTokenAt;
        String text = "";
        String stopReason = "length";

        Decoder(int[] prompt, GenerationRequest request, TokenListener sink) {
            for (int t : prompt) {
                context.add(t);
            }
            this.request = request;
            this.sink = sink;
            this.random = new Random(request.seed());
        }

        void run() throws OrtException {
            int v = config.vocabSize();
            Step cache = null;
            try {
                while (generated.size() < request.maxTokens()) {
                    Step step;
                    if (cache != null && context.size() <= config.nPositions()) {
                        step = forward(new long[][] {{context.get(context.size() - 1)}}, cache.present());
                    } else {
                        // first step, or the context is full: crop to the window as nanoGPT does (positions
                        // restart, so the cache cannot be reused)
                        int from = Math.max(0, context.size() - config.nPositions());
                        long[] window = context.subList(from, context.size()).stream().mapToLong(Integer::longValue)
                                .toArray();
                        step = forward(new long[][] {window}, null);
                    }
                    if (cache != null) {
                        cache.close();
                    }
                    cache = step;
                    float[] all = step.logits()[0];
                    int last = all.length / v - 1;
                    int next = sample(all, last * v, v);
                    if (firstTokenAt == 0) {
                        firstTokenAt = System.nanoTime();
                    }
                    if (next == tokenizer.endOfTextId()) {
                        stopReason = "eos";
                        break;
                    }
                    context.add(next);
                    generated.add(next);
                    String decoded = tokenizer.decode(generated.stream().mapToInt(Integer::intValue).toArray());
                    String stop = firstStop(decoded);
                    if (stop != null) {
                        String kept = decoded.substring(0, decoded.indexOf(stop));
                        if (kept.length() > text.length()) {
                            sink.onToken(next, kept.substring(text.length()));
                        }
                        text = kept;
                        stopReason = "stop";
                        break;
                    }
                    String piece = decoded.startsWith(text) ? decoded.substring(text.length()) : decoded;
                    text = decoded;
                    sink.onToken(next, piece);
                }
            } finally {
                if (cache != null) {
                    cache.close();
                }
            }
        }

        private String firstStop(String decoded) {
            String found = null;
            int at = Integer.MAX_VALUE;
            for (String s : request.stop()) {
                int i = s.isEmpty() ? -1 : decoded.indexOf(s);
                if (i >= 0 && i < at) {
                    at = i;
                    found = s;
                }
            }
            return found;
        }

        /** Greedy for temperature 0 (the first maximum wins ties), else top-k / top-p sampling. */
        private int sample(float[] logits, int from, int v) {
            if (request.temperature() == 0) {
                int best = 0;
                for (int k = 1; k < v; k++) {
                    if (logits[from + k] > logits[from + best]) {
                        best = k;
                    }
                }
                return best;
            }
            double[] p = new double[v];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                p[k] = logits[from + k] / request.temperature();
                max = Math.max(max, p[k]);
            }
            if (request.topK() > 0 && request.topK() < v) {
                double[] sorted = p.clone();
                java.util.Arrays.sort(sorted);
                double kth = sorted[v - request.topK()];
                for (int k = 0; k < v; k++) {
                    if (p[k] < kth) {
                        p[k] = Double.NEGATIVE_INFINITY;
                    }
                }
            }
            double z = 0;
            for (int k = 0; k < v; k++) {
                p[k] = Math.exp(p[k] - max);
                z += p[k];
            }
            for (int k = 0; k < v; k++) {
                p[k] /= z;
            }
            if (request.topP() < 1) {
                Integer[] order = new Integer[v];
                for (int k = 0; k < v; k++) {
                    order[k] = k;
                }
                java.util.Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
                double cum = 0;
                boolean cut = false;
                double kept = 0;
                for (Integer k : order) {
                    if (cut) {
                        p[k] = 0;
                    } else {
                        cum += p[k];
                        kept += p[k];
                        cut = cum >= request.topP();
                    }
                }
                for (int k = 0; k < v; k++) {
                    p[k] /= kept;
                }
            }
            double r = random.nextDouble();
            double cum = 0;
            for (int k = 0; k < v; k++) {
                cum += p[k];
                if (r < cum) {
                    return k;
                }
            }
            for (int k = v - 1; k >= 0; k--) {
                if (p[k] > 0) {
                    return k;
                }
            }
            return v - 1;
        }
    }
}
