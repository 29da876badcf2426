package dev.keel.djl.gpt2;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.Pretrainer;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.DjlEngine;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.tokenize.Tokenizers;
import dev.keel.spi.train.Schedules;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * nanoGPT's pre-training recipe on DJL: random contiguous blocks from the train split, AdamW with decay on
 * matrices only, linear warmup then cosine decay, gradient clipping, periodic estimates of train and val
 * loss on a fixed number of batches, and best-checkpoint saving.
 *
 * <p>The output folder holds the best model (a portable model folder), {@value #LOG} (one JSON object per
 * logged step and evaluation), and {@value #RESUME}/ with the latest weights, the AdamW moments and the data
 * generator's position, so {@code resume} continues the same run. Everything the run needs is read and checked
 * before the output folder is touched, so bad input leaves it as it was.
 */
public final class Gpt2Pretrainer implements Pretrainer {
    public static final String RESUME = "resume";
    public static final String LOG = "train-log.jsonl";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "state.json";

    private final Device device;

    public Gpt2Pretrainer(Device device) {
        this.device = device;
    }

    /** What a resume checkpoint records beside the weights and moments. */
    record ResumeState(int step, long dataState, double bestValLoss, long seed, String corpus,
            Map<String, Object> architecture) { }

    @Override
    public TrainingResult pretrain(PretrainSpec spec, TrainingListener listener) {
        long started = System.nanoTime();
        if (!(spec.model() instanceof Gpt2Config architecture)) {
            throw new UnsupportedCapabilityException("backend 'djl' pre-trains the gpt2 family only, not "
                    + spec.model().family() + "; pass a Gpt2Config");
        }
        TrainingConfig tc = spec.training();
        ai.djl.Device djlDevice = DjlEngine.device(device);
        Path out = spec.outputDir();
        Path resumeDir = resumeDir(out);
        ResumeState resumed = null;
        Tokenizer tokenizer;
        if (spec.resume()) {
            if (resumeDir == null) {
                throw new InvalidInputException("nothing to resume in " + out + " (no " + RESUME + "/" + STATE
                        + "); run without --resume to start a new run there");
            }
            resumed = readState(resumeDir);
            tokenizer = ModelFolder.readTokenizer(resumeDir);
        } else {
            tokenizer = tokenizer(spec);
        }
        TokenArray all = CorpusTokenizer.tokenize(spec.corpus(), tokenizer);
        TokenArray train = all.split(Split.TRAIN);
        TokenArray val = all.split(Split.VAL);
        int block = tc.blockSize();
        // one rule for every trainer: steps from maxSteps, else from epochs; a warmup that does not fit is fitted
        tc = Schedules.resolve(tc, Math.max(1, train.size() / (tc.batchSize() * block)), "gpt2 pre-training");
        spec = new PretrainSpec(spec.model(), spec.tokenizer(), spec.corpus(), tc, spec.outputDir(), spec.resume());
        Gpt2Config config = architecture.withVocabSize(tokenizer.vocabSize());
        if (block > config.nPositions()) {
            throw new InvalidInputException("the training block of " + block + " tokens is longer than the model's "
                    + "context of " + config.nPositions() + "; set the block size and n_positions to the same value");
        }
        checkLongEnough(spec, train, "train", block, all.size());
        boolean evaluates = tc.evalIters() > 0 && tc.evalInterval() > 0;
        if (evaluates) {
            checkLongEnough(spec, val, "val", block, all.size());
        }
        if (resumed != null) {
            checkResumable(resumed, config, all, tc, out);
        }
        Engine engine = DjlEngine.pytorch();
        Gpt2Model model = resumed != null
                ? Gpt2Model.fromTensors(config, ModelFolder.readWeights(resumeDir).tensors(), djlDevice)
                : Gpt2Model.initialise(config, djlDevice, tc.seed());
        try (model; AdamW optimizer = new AdamW(model.namedParameters(), model.manager(), tc.beta1(), tc.beta2(),
                tc.weightDecay())) {
            if (resumed != null) {
                optimizer.restore(Safetensors.read(resumeDir.resolve(OPTIMIZER)).tensors(), resumed.step());
            }
            model.setTrainable(true);
            Run run = new Run(spec, config, tokenizer, model, optimizer, engine, train, val, all.fingerprint(),
                    listener, resumed, started);
            return run.train();
        }
    }

    private static void checkLongEnough(PretrainSpec spec, TokenArray split, String name, int block, int total) {
        if (split.size() <= block) {
            throw new InvalidInputException("corpus " + spec.corpus().source() + " has " + total + " tokens, so its "
                    + name + " split has " + split.size() + ", not more than one block of " + block + " tokens; "
                    + "use a smaller --block or a longer corpus");
        }
    }

    static Tokenizer tokenizer(PretrainSpec spec) {
        return Tokenizers.forTraining(spec.tokenizer(), spec.corpus());
    }

    /** The folder holding the latest resume checkpoint, or null when there is none. */
    static Path resumeDir(Path out) {
        Path dir = out.resolve(RESUME);
        if (Files.exists(dir.resolve(STATE))) {
            return dir;
        }
        Path previous = out.resolve(RESUME + ".old");
        return Files.exists(previous.resolve(STATE)) ? previous : null;
    }

    static ResumeState readState(Path dir) {
        Path file = dir.resolve(STATE);
        try {
            ResumeState s = Json.gson().fromJson(Files.readString(file), ResumeState.class);
            if (s == null || s.step() < 0 || s.architecture() == null) {
                throw new CheckpointException(file + " is incomplete; start without --resume");
            }
            return s;
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(file + " is not a valid resume state (" + e.getMessage()
                    + "); start without --resume, or restore the folder", e);
        }
    }

    private static void checkResumable(ResumeState s, Gpt2Config config, TokenArray all, TrainingConfig tc,
            Path out) {
        Gpt2Config saved;
        try {
            saved = Gpt2Config.fromHfConfig(s.architecture());
        } catch (RuntimeException e) {
            throw new CheckpointException("the resume state in " + out + " holds no valid architecture ("
                    + e.getMessage() + "); start without --resume", e);
        }
        if (!saved.equals(config)) {
            throw new InvalidInputException("the run in " + out + " trained " + saved + " but this run asks for "
                    + config + "; resume with the same --layers/--heads/--embd/--block/--dropout, or use a new --out");
        }
        if (!s.corpus().equals(all.fingerprint())) {
            throw new InvalidInputException("the run in " + out + " trained on another corpus (fingerprint "
                    + s.corpus().substring(0, 12) + "...); resume with the same --corpus, or use a new --out");
        }
        if (s.seed() != tc.seed()) {
            throw new InvalidInputException("the run in " + out + " used seed " + s.seed() + " but this run asks for "
                    + tc.seed() + "; resume with the same --seed");
        }
    }

    /** One training run's mutable state. */
    private final class Run {
        private final PretrainSpec spec;
        private final TrainingConfig tc;
        private final Gpt2Config config;
        private final Tokenizer tokenizer;
        private final Gpt2Model model;
        private final AdamW optimizer;
        private final Engine engine;
        private final TokenArray train;
        private final TokenArray val;
        private final String corpus;
        private final TrainingListener listener;
        private final long started;
        private final Path out;
        private final SplitMix64 data;
        private final String runId;
        private final int startStep;
        private final boolean resumedRun;
        private double bestVal;
        private double lastTrain = Double.NaN;
        private double lastVal = Double.NaN;
        private long trainNanos;
        private int trainedSteps;

        Run(PretrainSpec spec, Gpt2Config config, Tokenizer tokenizer, Gpt2Model model, AdamW optimizer,
                Engine engine, TokenArray train, TokenArray val, String corpus, TrainingListener listener,
                ResumeState resumed, long started) {
            this.spec = spec;
            this.tc = spec.training();
            this.config = config;
            this.tokenizer = tokenizer;
            this.model = model;
            this.optimizer = optimizer;
            this.engine = engine;
            this.train = train;
            this.val = val;
            this.corpus = corpus;
            this.listener = listener;
            this.started = started;
            this.out = spec.outputDir();
            this.data = new SplitMix64(resumed != null ? resumed.dataState() : tc.seed());
            this.startStep = resumed != null ? resumed.step() : 0;
            this.resumedRun = resumed != null;
            this.bestVal = resumed != null ? resumed.bestValLoss() : Double.POSITIVE_INFINITY;
            this.runId = HexFormat.of().toHexDigits(tc.seed() ^ corpus.hashCode()).substring(8);
        }

        TrainingResult train() {
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new KeelException("cannot create output folder " + out + ": " + e.getMessage(), e);
            }
            long params = model.parameterCount();
            listener.onEvent(new TrainingEvent.Started(runId, startStep, tc.maxSteps(), params, params));
            boolean evaluates = tc.evalIters() > 0 && tc.evalInterval() > 0;
            try (Writer log = Files.newBufferedWriter(out.resolve(LOG), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                for (int step = startStep; step < tc.maxSteps(); step++) {
                    if (evaluates && step % tc.evalInterval() == 0 && (step > startStep || !resumedRun)) {
                        evaluate(step, log);
                    }
                    step(step, log);
                }
                if (evaluates) {
                    evaluate(tc.maxSteps(), log);
                } else {
                    saveModel(tc.maxSteps(), false);
                    saveResume(tc.maxSteps());
                }
            } catch (IOException e) {
                throw new KeelException("cannot write the training log in " + out + ": " + e.getMessage(), e);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            double msPerStep = trainedSteps == 0 ? 0 : trainNanos / 1e6 / trainedSteps;
            double tokensPerSecond = trainNanos == 0 ? 0
                    : (double) trainedSteps * tc.batchSize() * tc.blockSize() / (trainNanos / 1e9);
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("train_loss", lastTrain);
            metrics.put("val_loss", lastVal);
            TrainingResult result = new TrainingResult(tc.maxSteps(), lastTrain, lastVal,
                    evaluates ? bestVal : Double.NaN, params, params, tokensPerSecond, msPerStep, seconds, out, metrics);
            listener.onEvent(new TrainingEvent.Finished(result));
            return result;
        }

        private void step(int step, Writer log) throws IOException {
            long t0 = System.nanoTime();
            double lr = tc.learningRateAt(step);
            if (config.dropout() > 0) {
                // dropout masks come from the engine's generator; reseeding per step makes resume exact
                engine.setRandomSeed((int) (tc.seed() * 31 + step));
            }
            float loss;
            try (NDManager local = model.manager().newSubManager()) {
                NDArray[] batch = batch(local, train, data);
                try (GradientCollector collector = engine.newGradientCollector()) {
                    NDArray l = model.loss(local, batch[0], batch[1], true);
                    collector.backward(l);
                    loss = l.getFloat();
                }
                optimizer.clipAndUpdate(local, lr, tc.gradClip());
            }
            if (!Float.isFinite(loss)) {
                throw new KeelException("the loss became " + loss + " at step " + step + "; lower --lr or raise "
                        + "--warmup; the last good checkpoint is in " + out);
            }
            long nanos = System.nanoTime() - t0;
            trainNanos += nanos;
            trainedSteps++;
            double ms = nanos / 1e6;
            double tokensPerSecond = tc.batchSize() * tc.blockSize() / (nanos / 1e9);
            listener.onEvent(new TrainingEvent.Step(step + 1, tc.maxSteps(), loss, lr, tokensPerSecond, ms));
            if ((step + 1) % tc.logInterval() == 0 || step == startStep) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("type", "step");
                line.put("step", step + 1);
                line.put("loss", loss);
                line.put("lr", lr);
                line.put("ms", ms);
                line.put("tokens_per_s", tokensPerSecond);
                log.write(Json.compact(line) + "\n");
                log.flush();
            }
        }

        private NDArray[] batch(NDManager local, TokenArray split, SplitMix64 random) {
            int b = tc.batchSize();
            int t = tc.blockSize();
            long[] x = new long[b * t];
            long[] y = new long[b * t];
            int[] window = new int[t + 1];
            for (int row = 0; row < b; row++) {
                int from = random.nextInt(split.size() - t);
                split.copy(from, window, 0, t + 1);
                for (int i = 0; i < t; i++) {
                    x[row * t + i] = window[i];
                    y[row * t + i] = window[i + 1];
                }
            }
            Shape shape = new Shape(b, t);
            return new NDArray[] {DjlEngine.ownedLongs(local, x, shape), DjlEngine.ownedLongs(local, y, shape)};
        }

        private double estimate(TokenArray split, int step, int salt) {
            // its own generator: estimates never move the training data position, so resume stays exact
            SplitMix64 random = new SplitMix64(tc.seed() * 1_000_003L + step * 2L + salt);
            double sum = 0;
            for (int i = 0; i < tc.evalIters(); i++) {
                try (NDManager local = model.manager().newSubManager()) {
                    NDArray[] batch = batch(local, split, random);
                    sum += model.loss(local, batch[0], batch[1], false).getFloat();
                }
            }
            return sum / tc.evalIters();
        }

        private void evaluate(int step, Writer log) throws IOException {
            lastTrain = estimate(train, step, 0);
            lastVal = estimate(val, step, 1);
            listener.onEvent(new TrainingEvent.Evaluation(step, lastTrain, lastVal, Map.of()));
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("type", "eval");
            line.put("step", step);
            line.put("train_loss", lastTrain);
            line.put("val_loss", lastVal);
            log.write(Json.compact(line) + "\n");
            log.flush();
            boolean best = lastVal < bestVal;
            if (best) {
                bestVal = lastVal;
            }
            if (best || !tc.saveBestOnly()) {
                saveModel(step, best);
            }
            saveResume(step);
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
            return KeelMetadata.create("djl", "pretrain").withVersion(runId + "-" + step).withTraining(training)
                    .withData(Map.of("corpus", corpus)).withMetrics(metrics);
        }

        private void saveModel(int step, boolean best) {
            ModelFolder.write(out, config, model.toTensors(), tokenizer, metadata(step));
            listener.onEvent(new TrainingEvent.CheckpointSaved(step, out, best));
        }

        /**
         * Writes the resume checkpoint into a fresh folder and swaps it in, so a crash leaves either the
         * previous checkpoint or the new one complete ({@link #resumeDir} falls back to {@code resume.old}).
         */
        private void saveResume(int step) {
            Path fresh = out.resolve(RESUME + ".new");
            Path current = out.resolve(RESUME);
            Path old = out.resolve(RESUME + ".old");
            try {
                AtomicFiles.deleteTree(fresh);
                ModelFolder.write(fresh, config, model.toTensors(), tokenizer, metadata(step));
                Safetensors.write(fresh.resolve(OPTIMIZER), optimizer.stateTensors(), Map.of("step",
                        Integer.toString(optimizer.step())));
                ResumeState state = new ResumeState(step, data.state(), bestVal, tc.seed(), corpus,
                        config.toHfConfig());
                AtomicFiles.writeString(fresh.resolve(STATE), Json.pretty(state) + "\n");
                AtomicFiles.deleteTree(old);
                if (Files.exists(current)) {
                    Files.move(current, old);
                }
                Files.move(fresh, current);
                AtomicFiles.deleteTree(old);
            } catch (IOException e) {
                throw new KeelException("cannot write the resume checkpoint in " + out + ": " + e.getMessage(), e);
            }
        }
    }
}
