package dev.keel.djl.internal.bert;

import dev.keel.djl.internal.DjlEngine;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.keel.adapters.ClassificationData;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.EarlyStopping;
import dev.keel.api.InvalidInputException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.djl.internal.gpt2.AdamW;
import dev.keel.adapters.AdaptRun;
import dev.keel.djl.internal.adapt.AdaptState;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.train.TrainingStop;
import java.util.LinkedHashMap;
import dev.keel.spi.train.ParameterSync;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tunes a {@link BertModel} for sequence classification: class-weighted cross-entropy on the classifier
 * over mean-pooled features, AdamW with decoupled weight decay on matrices only, linear warmup then linear
 * decay (Hugging Face's default schedule), global gradient clipping, batches of similar length (dynamic
 * padding wastes little), and dev evaluation with early stopping that restores the best weights. Only the
 * method's trainable arrays require gradients, so LoRA and head runs skip the frozen weights' gradients.
 */
public final class BertClassifierTrainer {
    /** Batches of similar length are drawn from pools this many batches large. */
    private static final int BUCKET_BATCHES = 50;

    /**
     * @param method         full, lora or head (frozen encoder)
     * @param epochs         passes over the training data (used when maxSteps is 0)
     * @param maxSteps       optimisation steps; 0 derives them from epochs
     * @param batchSize      examples per step
     * @param learningRate   peak learning rate
     * @param warmupFraction share of steps with linear warmup, used when warmupSteps is 0
     * @param weightDecay    AdamW decoupled decay on matrices
     * @param gradClip       global gradient norm limit, 0 for none
     * @param classWeights   per-class loss weights
     * @param patience       evaluations without a better dev accuracy before stopping; 0 never stops early
     * @param evalEvery      steps between dev evaluations; 0 evaluates once per epoch
     * @param maxLength      longest input in tokens
     * @param seed           shuffling and dropout order
     * @param warmupSteps    steps of linear warmup; 0 takes warmupFraction of the run
     * @param beta1          AdamW's first-moment decay ({@code TrainingConfig.beta1})
     * @param beta2          AdamW's second-moment decay ({@code TrainingConfig.beta2})
     */
    public record Settings(AdaptationMethod method, int epochs, int maxSteps, int batchSize, double learningRate,
            double warmupFraction, double weightDecay, double gradClip, float[] classWeights, int patience,
            int evalEvery, int maxLength, long seed, int warmupSteps, double beta1, double beta2) {
        /** AdamW's usual fine-tuning betas, the ones this trainer used before it read them from the config. */
        public static final double DEFAULT_BETA1 = 0.9;
        public static final double DEFAULT_BETA2 = 0.999;

        public Settings {
            if (batchSize <= 0 || !(learningRate > 0) || (epochs <= 0 && maxSteps <= 0) || warmupSteps < 0) {
                throw new InvalidInputException("fine-tuning needs batch > 0, learning rate > 0, epochs or steps > 0 "
                        + "and warmup >= 0; got batch " + batchSize + ", learning rate " + learningRate + ", epochs "
                        + epochs + ", steps " + maxSteps + ", warmup " + warmupSteps);
            }
            if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
                throw new InvalidInputException("fine-tuning's Adam betas must be in [0, 1), got beta1 " + beta1
                        + " and beta2 " + beta2);
            }
        }

        /** Settings with a fixed warmup and AdamW's default betas (0.9, 0.999). */
        public Settings(AdaptationMethod method, int epochs, int maxSteps, int batchSize, double learningRate,
                double warmupFraction, double weightDecay, double gradClip, float[] classWeights, int patience,
                int evalEvery, int maxLength, long seed, int warmupSteps) {
            this(method, epochs, maxSteps, batchSize, learningRate, warmupFraction, weightDecay, gradClip,
                    classWeights, patience, evalEvery, maxLength, seed, warmupSteps, DEFAULT_BETA1, DEFAULT_BETA2);
        }

        /** Settings whose warmup is a share of the run. */
        public Settings(AdaptationMethod method, int epochs, int maxSteps, int batchSize, double learningRate,
                double warmupFraction, double weightDecay, double gradClip, float[] classWeights, int patience,
                int evalEvery, int maxLength, long seed) {
            this(method, epochs, maxSteps, batchSize, learningRate, warmupFraction, weightDecay, gradClip,
                    classWeights, patience, evalEvery, maxLength, seed, 0);
        }
    }

    /** What a run achieved; {@code dev} belongs to the weights kept (the best evaluation). */
    public record Outcome(int steps, double trainLoss, ClassificationMetrics dev, int bestStep, double msPerStep,
            double tokensPerSecond, long trainableParameters, long totalParameters) { }

    private BertClassifierTrainer() { }

    public static Outcome train(BertModel model, Tokenizer tokenizer, ClassificationData train, ClassificationData dev,
            Settings s, TrainingListener listener) {
        return train(model, tokenizer, train, dev, s, listener, null, null);
    }

    /**
     * Trains, stopping at a step boundary when {@code listener} asks (or the thread is interrupted): then, with a
     * {@code run}, the trainable arrays, AdamW's moments, the best weights so far and the loop's counters are
     * saved there and the run continues from them when it runs again (its dropout masks after the resumed step
     * are drawn afresh, so it matches the uninterrupted run closely rather than exactly). Trains as one worker of
     * a data-parallel run when {@code sync} is given: the hook sees the trainable arrays after every step (before
     * that step's dev evaluation) and decides the early stop for all workers.
     */
    public static Outcome train(BertModel model, Tokenizer tokenizer, ClassificationData train, ClassificationData dev,
            Settings s, TrainingListener listener, AdaptRun run, ParameterSync sync) {
        int maxLength = Math.min(s.maxLength(), model.config().maxPositionEmbeddings());
        List<Encoding> enc = tokenizer.encodeBatch(train.texts(), maxLength);
        List<Encoding> devEnc = dev == null ? null : tokenizer.encodeBatch(dev.texts(), maxLength);
        int stepsPerEpoch = (enc.size() + s.batchSize() - 1) / s.batchSize();
        int total = s.maxSteps() > 0 ? s.maxSteps() : s.epochs() * stepsPerEpoch;
        int warmup = s.warmupSteps() > 0 ? s.warmupSteps() : (int) Math.round(total * s.warmupFraction());
        int evalEvery = s.evalEvery() > 0 ? s.evalEvery() : stepsPerEpoch;

        Map<String, NDArray> named = model.trainable(s.method());
        List<NDArray> params = new ArrayList<>(named.values());
        for (NDArray p : params) {
            p.setRequiresGradient(true);
        }
        ParameterSync.Parameters shared = sync == null ? null : new SyncedArrays(List.copyOf(named.keySet()), params);
        long trainable = BertModel.count(params);
        long totalParams = model.parameterCount();
        listener.onEvent(new TrainingEvent.Started("bert-" + s.method().name().toLowerCase(java.util.Locale.ROOT),
                0, total, totalParams, trainable));

        Random rnd = new Random(s.seed());
        EarlyStopping stopper = new EarlyStopping(s.patience(), 1e-4);
        List<float[]> best = null;
        ClassificationMetrics bestDev = null;
        int bestStep = 0;
        double lossEma = Double.NaN;
        long tokens = 0;
        long computeNanos = 0;
        List<int[]> batches = new ArrayList<>();
        int step = 0;
        TrainingStop stop = new TrainingStop(listener);
        try (AdamW optimizer = AdamW.overArrays(named, model.manager(), s.beta1(), s.beta2(), s.weightDecay())) {
            if (run != null && run.resumed().isPresent()) {
                Map<String, Object> saved = run.resumed().get();
                step = AdaptState.restore(run, named, optimizer);
                for (int k = 0; k < step; k++) { // the batches the stopped run drew, drawn again and dropped
                    if (batches.isEmpty()) {
                        batches = bucketedBatches(enc, s.batchSize(), rnd);
                    }
                    batches.remove(batches.size() - 1);
                }
                lossEma = AdaptState.number(saved, "loss_ema", Double.NaN);
                tokens = (long) AdaptState.number(saved, "tokens", 0);
                computeNanos = (long) AdaptState.number(saved, "compute_nanos", 0);
                bestStep = (int) AdaptState.number(saved, "best_step", 0);
                stopper.restore(new double[] {AdaptState.number(saved, "stopper_best", Double.NEGATIVE_INFINITY),
                        AdaptState.number(saved, "stopper_best_evaluation", -1),
                        AdaptState.number(saved, "stopper_evaluations", 0),
                        AdaptState.number(saved, "stopper_since_best", 0)});
                if (bestStep > 0) {
                    Map<String, Tensor> snapshot = run.resumedTensors("best");
                    best = new ArrayList<>();
                    for (String name : named.keySet()) {
                        best.add(snapshot.get(name).toFloats());
                    }
                }
            }
            Engine.getInstance().setRandomSeed((int) (s.seed() + step));
            while (step < total) {
                if (stop.requested()) {
                    if (run == null) {
                        throw stop.stopped("fine-tuning stopped at step " + step + " of " + total + " as asked; "
                                + "nothing was saved", step, total, null);
                    }
                    Map<String, Object> state = new LinkedHashMap<>();
                    state.put("step", step);
                    state.put("loss_ema", Double.isNaN(lossEma) ? null : lossEma);
                    state.put("tokens", tokens);
                    state.put("compute_nanos", computeNanos);
                    state.put("best_step", bestStep);
                    double[] st = stopper.state();
                    state.put("stopper_best", Double.isFinite(st[0]) ? st[0] : null);
                    state.put("stopper_best_evaluation", st[1]);
                    state.put("stopper_evaluations", st[2]);
                    state.put("stopper_since_best", st[3]);
                    Map<String, List<Tensor>> more = new LinkedHashMap<>();
                    if (best != null) {
                        List<Tensor> snapshot = new ArrayList<>();
                        int i = 0;
                        for (Map.Entry<String, NDArray> e : named.entrySet()) {
                            snapshot.add(Tensor.ofFloats(e.getKey(), e.getValue().getShape().getShape(), best.get(i++)));
                        }
                        more.put("best", snapshot);
                    }
                    AdaptState.save(run, stop, named, optimizer, state, more);
                    throw run.stopped(stop, step, total);
                }
                if (batches.isEmpty()) {
                    batches = bucketedBatches(enc, s.batchSize(), rnd);
                }
                int[] idx = batches.remove(batches.size() - 1);
                long t0 = System.nanoTime();
                double lr = learningRate(s.learningRate(), step, warmup, total);
                float loss;
                try (NDScope scope = new NDScope()) {
                    List<Encoding> be = new ArrayList<>(idx.length);
                    float[] target = new float[idx.length * train.classes().size()];
                    double weightSum = 0;
                    // each example's loss counts its class weight times its sample weight (reweighing)
                    for (int i : idx) {
                        weightSum += s.classWeights()[train.labels()[i]] * train.weight(i);
                    }
                    for (int b = 0; b < idx.length; b++) {
                        int y = train.labels()[idx[b]];
                        be.add(enc.get(idx[b]));
                        target[b * train.classes().size() + y] = (float) (s.classWeights()[y] * train.weight(idx[b])
                                / Math.max(weightSum, 1e-12));
                    }
                    BertBatch batch = new BertBatch(model.manager(), be, tokenizer.padId());
                    NDArray targetArray = DjlEngine.ownedFloats(model.manager(), target, new Shape(idx.length, train.classes().size()));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = model.logits(BertModel.meanPool(model.hidden(batch, true), batch), true);
                        NDArray lossArray = logits.logSoftmax(-1).mul(targetArray).sum().neg();
                        gc.backward(lossArray);
                        loss = lossArray.getFloat();
                    }
                    tokens += batch.realTokens;
                    try (NDManager local = model.manager().newSubManager()) {
                        optimizer.clipAndUpdate(local, lr, s.gradClip());
                    }
                }
                computeNanos += System.nanoTime() - t0;
                step++;
                if (!Float.isFinite(loss)) {
                    throw new dev.keel.api.KeelException("the loss became " + loss + " at step " + step
                            + "; lower --lr (now " + s.learningRate() + ")");
                }
                lossEma = Double.isNaN(lossEma) ? loss : 0.95 * lossEma + 0.05 * loss;
                double secs = computeNanos / 1e9;
                listener.onEvent(new TrainingEvent.Step(step, total, loss, lr, tokens / secs, 1000 * secs / step));
                boolean evaluating = devEnc != null && (step % evalEvery == 0 || step == total);
                if (sync != null) {
                    sync.afterStep(step, total, evaluating, shared);
                }
                if (evaluating) {
                    ClassificationMetrics m = ClassificationMetrics.of(dev.labels(), probabilities(model, devEnc, tokenizer, 64));
                    Map<String, Double> figures = m.toMap("dev_");
                    listener.onEvent(new TrainingEvent.Evaluation(step, lossEma, m.loss(), figures));
                    if (stopper.update(m.accuracy())) {
                        best = snapshot(params);
                        bestDev = m;
                        bestStep = step;
                    }
                    if (sync == null ? stopper.shouldStop() : sync.stop(stopper.shouldStop())) {
                        break;
                    }
                }
            }
        }
        for (NDArray p : params) {
            p.setRequiresGradient(false);
        }
        if (best != null && bestStep != step) {
            restore(params, best);
        }
        if (bestDev == null && best != null && devEnc != null) {
            // a resumed run found its best before the stop: measure those weights again for the report
            bestDev = ClassificationMetrics.of(dev.labels(), probabilities(model, devEnc, tokenizer, 64));
        }
        double secs = computeNanos / 1e9;
        return new Outcome(step, lossEma, bestDev, bestStep == 0 ? step : bestStep, 1000 * secs / Math.max(1, step),
                tokens / Math.max(secs, 1e-9), trainable, totalParams);
    }

    /**
     * The trainable arrays as a data-parallel hook reads and writes them. Writing swaps the values in while the
     * arrays do not require gradients (PyTorch refuses in-place writes to leaves that do), as restoring the best
     * weights does; the array then keeps the direct buffer it was set from for as long as it lives.
     */
    private record SyncedArrays(List<String> names, List<NDArray> arrays) implements ParameterSync.Parameters {
        @Override
        public List<float[]> read() {
            return snapshot(arrays);
        }

        @Override
        public void write(List<float[]> values) {
            if (values.size() != arrays.size()) {
                throw new dev.keel.api.KeelException("a parameter average holds " + values.size() + " arrays; this "
                        + "worker trains " + arrays.size() + " (" + names + ")");
            }
            for (int i = 0; i < arrays.size(); i++) {
                NDArray a = arrays.get(i);
                a.setRequiresGradient(false);
                a.set(values.get(i));
                a.setRequiresGradient(true);
            }
        }
    }

    /** Linear warmup to the peak, then linear decay to zero at the last step. */
    static double learningRate(double peak, int step, int warmup, int total) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        return peak * Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
    }

    /**
     * Puts snapshot values back into the parameters in place. Not with {@code NDArray.set(float[])}: DJL's
     * native {@code torchSet} enters PyTorch's deprecated {@code AutoNonVariableTypeMode}, which prints a
     * deprecation warning to stderr; an in-place index assignment of an engine-owned copy does not.
     */
    static void restore(List<NDArray> params, List<float[]> snapshot) {
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            try (NDManager scratch = p.getManager().newSubManager()) {
                p.set(new NDIndex("..."), DjlEngine.ownedFloats(scratch, snapshot.get(i), p.getShape()));
            }
        }
    }

    private static List<float[]> snapshot(List<NDArray> params) {
        List<float[]> out = new ArrayList<>(params.size());
        for (NDArray p : params) {
            out.add(p.toFloatArray());
        }
        return out;
    }

    /** Shuffled batches whose members have similar lengths, in shuffled order (consumed from the end). */
    static List<int[]> bucketedBatches(List<Encoding> enc, int batchSize, Random rnd) {
        Integer[] order = new Integer[enc.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Collections.shuffle(Arrays.asList(order), rnd);
        List<int[]> batches = new ArrayList<>();
        int pool = batchSize * BUCKET_BATCHES;
        for (int start = 0; start < order.length; start += pool) {
            Integer[] chunk = Arrays.copyOfRange(order, start, Math.min(order.length, start + pool));
            Arrays.sort(chunk, Comparator.comparingInt(i -> enc.get(i).length()));
            for (int b = 0; b < chunk.length; b += batchSize) {
                int[] batch = new int[Math.min(batchSize, chunk.length - b)];
                for (int k = 0; k < batch.length; k++) {
                    batch[k] = chunk[b + k];
                }
                batches.add(batch);
            }
        }
        java.util.Collections.shuffle(batches, rnd);
        return batches;
    }

    /** Class probabilities for encodings, evaluated in batches of similar length without gradients. */
    public static double[][] probabilities(BertModel model, List<Encoding> enc, Tokenizer tokenizer, int batchSize) {
        double[][] out = new double[enc.size()][];
        forEachBatch(model, enc, tokenizer, batchSize, (idx, batch) -> {
            float[] p = model.logits(BertModel.meanPool(model.hidden(batch, false), batch), false).softmax(-1)
                    .toFloatArray();
            int k = p.length / idx.length;
            for (int b = 0; b < idx.length; b++) {
                double[] row = new double[k];
                for (int c = 0; c < k; c++) {
                    row[c] = p[b * k + c];
                }
                out[idx[b]] = row;
            }
        });
        return out;
    }

    /** Mean-pooled features for encodings. */
    public static float[][] features(BertModel model, List<Encoding> enc, Tokenizer tokenizer, int batchSize) {
        float[][] out = new float[enc.size()][];
        int h = model.config().hiddenSize();
        forEachBatch(model, enc, tokenizer, batchSize, (idx, batch) -> {
            float[] v = BertModel.meanPool(model.hidden(batch, false), batch).toFloatArray();
            for (int b = 0; b < idx.length; b++) {
                out[idx[b]] = Arrays.copyOfRange(v, b * h, (b + 1) * h);
            }
        });
        return out;
    }

    interface BatchConsumer {
        void accept(int[] indices, BertBatch batch);
    }

    static void forEachBatch(BertModel model, List<Encoding> enc, Tokenizer tokenizer, int batchSize,
            BatchConsumer consumer) {
        Integer[] order = new Integer[enc.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> enc.get(i).length()));
        for (int start = 0; start < order.length; start += batchSize) {
            int[] idx = new int[Math.min(batchSize, order.length - start)];
            List<Encoding> be = new ArrayList<>(idx.length);
            for (int k = 0; k < idx.length; k++) {
                idx[k] = order[start + k];
                be.add(enc.get(idx[k]));
            }
            try (NDScope scope = new NDScope()) {
                consumer.accept(idx, new BertBatch(model.manager(), be, tokenizer.padId()));
            }
        }
    }
}
