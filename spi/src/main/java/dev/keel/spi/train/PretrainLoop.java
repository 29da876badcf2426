package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.FolderLock;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.OutputFolders;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apiguardian.api.API;

/**
 * nanoGPT's pre-training recipe, once for every engine: random contiguous blocks from the train split (90%),
 * AdamW, linear warmup then cosine decay, periodic estimates of train and val loss on a fixed number of batches
 * (at step 0 and every {@code evalInterval} steps, and at the end), best-checkpoint saving, a JSONL log, resume,
 * and stopping on request. The engine ({@link PretrainEngine}) only runs steps and measures losses.
 *
 * <p>The output folder holds the best model (a portable folder), {@value #LOG} (one JSON object per logged
 * step and evaluation) and the resume state ({@link PretrainCheckpoint}), written at every evaluation, at the
 * end, and when the run is stopped. A new run writes only into a new or empty folder; a resumed run continues
 * the state it finds there, whichever engine wrote it. The folder is locked for the run ({@link FolderLock}),
 * and everything the run needs is read and checked before anything is written, so bad input leaves it as it
 * was. On resume, what a killed run left half-done is tidied and the log is cut back to the resumed step.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class PretrainLoop {
    public static final String LOG = "train-log.jsonl";

    private final PretrainSpec spec;
    private TrainingConfig tc;
    private final TrainingListener listener;
    private final TrainingStop stop;
    private final PretrainEngine engine;
    private final KeelCache cache;
    private final Path out;
    private final long started;
    private Gpt2Config config;
    private Tokenizer tokenizer;
    private TokenArray train;
    private TokenArray val;
    private String corpus;
    private String runId;
    private int steps;
    private boolean evaluates;
    private PretrainCheckpoint.Loaded resumed;
    private PretrainEngine.Model model;
    private SplitMix64 data;
    private double bestVal = Double.POSITIVE_INFINITY;
    private double lastTrain = Double.NaN;
    private double lastVal = Double.NaN;
    private int resumeSavedAt = -1;
    private long trainNanos;
    private int trainedSteps;

    private PretrainLoop(PretrainSpec spec, TrainingListener listener, PretrainEngine engine, KeelCache cache) {
        this.spec = spec;
        this.cache = cache;
        this.listener = listener;
        this.stop = new TrainingStop(listener);
        this.engine = engine;
        this.out = spec.outputDir();
        this.started = System.nanoTime();
        this.tc = spec.training();
    }

    /** Runs {@code spec} on {@code engine}; see the class comment for what is written where. */
    public static TrainingResult run(PretrainSpec spec, TrainingListener listener, PretrainEngine engine) {
        return run(spec, listener, engine, KeelCache.fromConfiguration());
    }

    /** {@link #run(PretrainSpec, TrainingListener, PretrainEngine)}, tokenized corpora cached under {@code cache}. */
    public static TrainingResult run(PretrainSpec spec, TrainingListener listener, PretrainEngine engine,
            KeelCache cache) {
        return new PretrainLoop(spec, listener, engine, cache).run();
    }

    private TrainingResult run() {
        if (!(spec.model() instanceof Gpt2Config architecture)) {
            throw new UnsupportedCapabilityException("backend '" + engine.backend() + "' pre-trains the gpt2 family "
                    + "only, not " + spec.model().family() + "; pass a Gpt2Config, or pre-train "
                    + spec.model().family() + " on a backend that declares it (keel backends)");
        }
        OutputFolders.requireFolderPath(out, "output folder");
        if (spec.resume()) {
            if (PretrainCheckpoint.find(out).isEmpty()) {
                throw new InvalidInputException("nothing to resume in " + out + " (no " + PretrainCheckpoint.DIR + "/"
                        + PretrainCheckpoint.STATE + ")" + (Files.exists(out.resolve(ModelFolder.CONFIG))
                        ? "; it holds a model but no pre-training run to continue: pre-train into a new folder"
                        : "; start without --resume (PretrainSpec.resume(false)) to begin a new run there"));
            }
        } else {
            requireFresh();
        }
        boolean created = !Files.exists(out);
        FolderLock lock = FolderLock.acquire(out, "pre-training");
        try {
            if (spec.resume()) {
                PretrainCheckpoint.deleteLeftovers(out);
                resumed = PretrainCheckpoint.read(PretrainCheckpoint.find(out).orElseThrow());
                tokenizer = resumed.tokenizer();
            } else {
                requireFresh(); // another run may have written here between the check and the lock
                tokenizer = Tokenizers.forTraining(spec.tokenizer(), spec.corpus());
            }
            prepare(architecture);
            if (resumed != null) {
                truncateLog(resumed.state().step());
            }
            try (PretrainEngine.Model m = engine.open(config, resumed != null ? resumed.weights()
                    : initialWeights(config, tc.seed()), resumed != null ? resumed.moments() : Map.of(),
                    resumed != null ? resumed.state().step() : 0, tc)) {
                model = m;
                return train();
            }
        } finally {
            lock.close();
            if (created && OutputFolders.isAbsentOrEmpty(out)) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // an empty folder left behind is harmless
                }
            }
        }
    }

    private void requireFresh() {
        if (OutputFolders.isAbsentOrEmpty(out)) {
            return;
        }
        String run = PretrainCheckpoint.savedStep(out).map(s -> " holds a pre-training run (saved at step " + s
                + "); continue it with --resume (PretrainSpec.resume(true)), or choose a new folder").orElse(
                " is not empty; choose a new folder or delete this one first");
        throw new InvalidInputException("output folder " + out + run + " (Keel never overwrites a model)");
    }

    /** Reads and checks everything the run needs; writes nothing. */
    private void prepare(Gpt2Config architecture) {
        config = architecture.withVocabSize(tokenizer.vocabSize());
        engine.check(config, tc);
        int block = tc.blockSize();
        if (block > config.nPositions()) {
            throw new InvalidInputException("the training block of " + block + " tokens is longer than the model's "
                    + "context (n_positions " + config.nPositions() + "); set --block and n_positions to the same value");
        }
        TokenArray all = CorpusTokenizer.tokenize(spec.corpus(), tokenizer, cache);
        train = all.split(Split.TRAIN);
        val = all.split(Split.VAL);
        corpus = all.fingerprint();
        checkLongEnough(train, "train", all.size());
        evaluates = tc.evalIters() > 0 && tc.evalInterval() > 0;
        if (evaluates) {
            checkLongEnough(val, "val", all.size());
        }
        // one rule for every trainer: steps from maxSteps, else from epochs; a warmup that does not fit is fitted
        tc = Schedules.resolve(tc, Math.max(1, train.size() / (tc.batchSize() * block)), "gpt2 pre-training");
        steps = tc.maxSteps();
        runId = HexFormat.of().toHexDigits(tc.seed() ^ corpus.hashCode()).substring(8);
        data = new SplitMix64(tc.seed());
        if (resumed != null) {
            checkResumable(resumed.state(), all);
            data = new SplitMix64(resumed.state().dataState());
            bestVal = resumed.state().bestValLoss();
        }
    }

    private void checkLongEnough(TokenArray split, String name, int total) {
        if (split.size() <= tc.blockSize()) {
            throw new InvalidInputException("corpus " + spec.corpus().source() + " has " + total + " tokens, so its "
                    + name + " split has " + split.size() + ", not more than one block of " + tc.blockSize()
                    + " tokens; use a smaller --block or a longer corpus");
        }
    }

    private void checkResumable(PretrainCheckpoint.State s, TokenArray all) {
        if (!resumed.config().equals(config)) {
            throw new InvalidInputException("the run in " + out + " trained " + resumed.config() + " but this run "
                    + "asks for " + config + "; resume with the same --layers/--heads/--embd/--block/--dropout, "
                    + "or use a new --out");
        }
        if (!s.corpus().equals(all.fingerprint())) {
            throw new InvalidInputException("the run in " + out + " trained on another corpus (fingerprint "
                    + s.corpus().substring(0, Math.min(12, s.corpus().length())) + "...); resume with the same "
                    + "--corpus, or use a new --out");
        }
        if (s.seed() != tc.seed()) {
            throw new InvalidInputException("the run in " + out + " used seed " + s.seed() + " but this run asks for "
                    + tc.seed() + "; resume with the same --seed");
        }
        if (s.step() >= steps) {
            throw new InvalidInputException("the run in " + out + " already reached step " + s.step() + " of the "
                    + steps + " asked; to train further, resume with more steps (--iters)");
        }
    }

    private TrainingResult train() {
        int startStep = resumed != null ? resumed.state().step() : 0;
        long params = config.parameterCount();
        listener.onEvent(new TrainingEvent.Started(runId, startStep, steps, params, params));
        for (int step = startStep; step < steps; step++) {
            // an evaluation due at a step runs before the step, and before a stop, so a resumed run never owes one
            if (evaluates && step % tc.evalInterval() == 0 && (step > startStep || resumed == null)) {
                evaluate(step);
            }
            if (stop.requested()) {
                if (resumeSavedAt != step) {
                    saveResume(step);
                }
                throw stop.stopped("pre-training stopped at step " + step + " of " + steps + " as asked; the run "
                        + "is saved in " + out + " and continues from there with PretrainSpec.resume(true) (keel "
                        + "pretrain ... --resume)", step, steps, out);
            }
            step(step, tc.learningRateAt(step));
        }
        if (evaluates) {
            evaluate(steps);
        } else {
            saveModel(steps, false);
            saveResume(steps);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double msPerStep = trainedSteps == 0 ? 0 : trainNanos / 1e6 / trainedSteps;
        double tokensPerSecond = trainNanos == 0 ? 0
                : (double) trainedSteps * tc.batchSize() * tc.blockSize() / (trainNanos / 1e9);
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("train_loss", lastTrain);
        metrics.put("val_loss", lastVal);
        TrainingResult result = new TrainingResult(steps, lastTrain, lastVal, evaluates ? bestVal : Double.NaN,
                params, params, tokensPerSecond, msPerStep, seconds, out, metrics);
        listener.onEvent(new TrainingEvent.Finished(result));
        return result;
    }

    private void step(int step, double lr) {
        long t0 = System.nanoTime();
        int[][] batch = batch(train, data);
        float loss = model.step(step, batch[0], batch[1], lr);
        if (!Float.isFinite(loss)) {
            throw new KeelException("the loss became " + loss + " at step " + step + "; lower --lr or raise "
                    + "--warmup; the last good checkpoint is in " + out);
        }
        long nanos = System.nanoTime() - t0;
        trainNanos += nanos;
        trainedSteps++;
        double ms = nanos / 1e6;
        double tokensPerSecond = tc.batchSize() * tc.blockSize() / (nanos / 1e9);
        listener.onEvent(new TrainingEvent.Step(step + 1, steps, loss, lr, tokensPerSecond, ms));
        if ((step + 1) % tc.logInterval() == 0 || trainedSteps == 1) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("type", "step");
            line.put("step", step + 1);
            line.put("loss", loss);
            line.put("lr", lr);
            line.put("ms", ms);
            line.put("tokens_per_s", tokensPerSecond);
            log(line);
        }
    }

    private int[][] batch(TokenArray split, SplitMix64 random) {
        return batch(split, random, tc.batchSize(), tc.blockSize());
    }

    /**
     * The batch sampler every engine shares: {@code b} windows of {@code t + 1} tokens at positions drawn from
     * {@code random}, as inputs and next-token targets ({@code b x t}, row major).
     */
    public static int[][] batch(TokenArray split, SplitMix64 random, int b, int t) {
        int[] x = new int[b * t];
        int[] y = new int[b * t];
        int[] window = new int[t + 1];
        for (int row = 0; row < b; row++) {
            split.copy(random.nextInt(split.size() - t), window, 0, t + 1);
            System.arraycopy(window, 0, x, row * t, t);
            System.arraycopy(window, 1, y, row * t, t);
        }
        return new int[][] {x, y};
    }

    private double estimate(TokenArray split, int step, int salt) {
        // its own generator: estimates never move the training data position, so resume stays exact
        SplitMix64 random = new SplitMix64(tc.seed() * 1_000_003L + step * 2L + salt);
        double sum = 0;
        for (int i = 0; i < tc.evalIters(); i++) {
            int[][] batch = batch(split, random);
            sum += model.loss(batch[0], batch[1]);
        }
        return sum / tc.evalIters();
    }

    /**
     * Estimates both losses, saves (the model when best, the resume state always), and only then reports and
     * logs the evaluation: a logged or printed evaluation is one whose checkpoint is on disk.
     */
    private void evaluate(int step) {
        lastTrain = estimate(train, step, 0);
        lastVal = estimate(val, step, 1);
        boolean best = lastVal < bestVal;
        if (best) {
            bestVal = lastVal;
        }
        if (best || !tc.saveBestOnly()) {
            saveModel(step, best);
        }
        saveResume(step);
        listener.onEvent(new TrainingEvent.Evaluation(step, lastTrain, lastVal, Map.of()));
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("type", "eval");
        line.put("step", step);
        line.put("train_loss", lastTrain);
        line.put("val_loss", lastVal);
        log(line);
    }

    private KeelMetadata metadata(int step) {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("run_id", runId);
        training.put("step", step);
        training.putAll(KeelMetadata.trainingSettings(tc));
        training.put("tokenizer", tokenizer.kind().label());
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (!Double.isNaN(lastVal)) {
            metrics.put("val_loss", lastVal);
            metrics.put("train_loss", lastTrain);
        }
        return KeelMetadata.create(engine.backend(), "pretrain").withVersion(runId + "-" + step)
                .withTraining(training).withData(Map.of("corpus", corpus)).withMetrics(metrics);
    }

    private void saveModel(int step, boolean best) {
        List<Tensor> weights = model.weights();
        stop.write(() -> ModelFolder.write(out, config, weights, tokenizer, metadata(step)));
        listener.onEvent(new TrainingEvent.CheckpointSaved(step, out, best));
    }

    private void saveResume(int step) {
        List<Tensor> weights = model.weights();
        List<Tensor> moments = model.moments();
        PretrainCheckpoint.State state = new PretrainCheckpoint.State(step, data.state(), bestVal, tc.seed(), corpus,
                config.toHfConfig(), engine.backend());
        stop.write(() -> PretrainCheckpoint.write(out, config, weights, moments, tokenizer, metadata(step), state));
        resumeSavedAt = step;
    }

    /** Appends one line; a line a killed run wrote past its last resume state is cut on resume. */
    private void log(Map<String, Object> line) {
        stop.write(() -> {
            try {
                Files.writeString(out.resolve(LOG), Json.compact(line) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new KeelException("cannot write the training log in " + out + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * Keeps the log lines of steps up to {@code step} (what the resume state holds) and drops the rest, torn
     * lines included, so resumed runs never log a step twice.
     */
    private void truncateLog(int step) {
        Path file = out.resolve(LOG);
        if (!Files.exists(file)) {
            return;
        }
        try {
            StringBuilder kept = new StringBuilder();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                Map<String, Object> entry;
                try {
                    entry = Json.parseObject(line, "a log line");
                } catch (RuntimeException e) {
                    continue;
                }
                if (entry.get("step") instanceof Number n && n.intValue() <= step) {
                    kept.append(line).append('\n');
                }
            }
            AtomicFiles.writeString(file, kept.toString());
        } catch (IOException e) {
            throw new KeelException("cannot read the training log " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * nanoGPT's initialisation, the same on every engine: N(0, 0.02) for matrices and embeddings, residual
     * projections ({@code c_proj}) scaled by 1/sqrt(2 layers), layer-norm gains 1, biases 0; drawn on the JVM
     * from {@code seed} alone.
     */
    public static Map<String, Tensor> initialWeights(Gpt2Config config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double projStd = 0.02 / Math.sqrt(2.0 * config.nLayer());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Gpt2Layout.shapes(config).forEach((name, shape) -> {
            int count = Math.toIntExact(Tensor.elementCount(shape));
            float[] values = new float[count];
            if (name.endsWith(".bias")) {
                // zero: biases and layer-norm shifts start at zero
            } else if (name.contains("ln_")) {
                java.util.Arrays.fill(values, 1f);
            } else {
                double std = name.endsWith("c_proj.weight") ? projStd : 0.02;
                for (int i = 0; i < count; i++) {
                    values[i] = (float) (gaussian(random) * std);
                }
            }
            tensors.put(name, Tensor.ofFloats(name, shape, values));
        });
        return tensors;
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller keeps the draw sequence fixed by the seed alone, whatever the JVM
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
