package dev.keel.tf;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
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
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.tokenize.Tokenizers;
import dev.keel.spi.train.Schedules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Pre-trains a GPT-2 on TensorFlow: the serving graph ({@link Gpt2Graph}) over variables, differentiated with
 * {@code Graph.addGradients}, global-norm gradient clipping and AdamW written in the graph (decoupled weight
 * decay on matrices and embeddings only, as nanoGPT does, then TensorFlow's {@code ApplyAdam}), with the
 * learning rate fed each step from {@link TrainingConfig#learningRateAt}. It writes Keel's portable folder,
 * so any backend serves the result (the best checkpoint when saving the best only), plus
 * {@code resume/state.safetensors} (the latest weights, Adam moments and step, so a resumed run continues
 * the same run even when its last evaluation was not the best) and a JSONL log.
 *
 * <p>Dropout is not implemented: a config asking for it is refused rather than silently trained without.
 */
final class TfPretrainer implements Pretrainer {
    /** Latest weights, Adam moments and step, written at every evaluation and at the end, for resume. */
    static final String RESUME_STATE = "resume/state.safetensors";
    static final String LOG = "train-log.jsonl";
    private static final float ADAM_EPSILON = 1e-8f;

    private final int threads;

    TfPretrainer(int threads) {
        this.threads = threads;
    }

    @Override
    public TrainingResult pretrain(PretrainSpec spec, TrainingListener listener) {
        long wallStart = System.nanoTime();
        if (!(spec.model() instanceof Gpt2Config arch)) {
            // the same type as every backend that does not train a family: a capability, not a bad value
            throw new UnsupportedCapabilityException("backend 'tf' pre-trains the gpt2 family only, not "
                    + spec.model().family() + "; pass a Gpt2Config, or pre-train " + spec.model().family()
                    + " on a backend that declares it (keel backends)");
        }
        if (arch.dropout() > 0) {
            throw new InvalidInputException("the tf pre-trainer has no dropout yet, and the config asks for "
                    + arch.dropout() + "; train with dropout 0 (--dropout 0) or on the djl backend");
        }
        TrainingConfig tc = spec.training();
        Path out = spec.outputDir();
        Tokenizer tokenizer = spec.resume() ? ModelFolder.readTokenizer(ModelFolder.requireFolder(out))
                : tokenizer(spec);
        Gpt2Config config = arch.withVocabSize(tokenizer.vocabSize());
        if (tc.blockSize() > config.nPositions()) {
            throw new InvalidInputException("block size " + tc.blockSize() + " is longer than the model's context ("
                    + "n_positions " + config.nPositions() + "); use a block of at most n_positions");
        }
        TokenArray all = CorpusTokenizer.tokenize(spec.corpus(), tokenizer);
        TokenArray train = all.split(Split.TRAIN);
        TokenArray val = all.split(Split.VAL);
        if (train.size() <= tc.blockSize() + 1) {
            throw new InvalidInputException("the training split of " + spec.corpus().source() + " has " + train.size()
                    + " tokens, fewer than one block of " + (tc.blockSize() + 1) + "; give more text or a smaller block");
        }
        // one rule for every trainer: steps from maxSteps, else from epochs; a warmup that does not fit is fitted
        tc = Schedules.resolve(tc, Math.max(1, train.size() / (tc.batchSize() * tc.blockSize())), "gpt2 pre-training");
        spec = new PretrainSpec(spec.model(), spec.tokenizer(), spec.corpus(), tc, spec.outputDir(), spec.resume());
        int maxSteps = tc.maxSteps();

        Map<String, float[]> init;
        Map<String, float[]> moments = null;
        int startStep = 0;
        if (spec.resume()) {
            Gpt2Config saved = (Gpt2Config) ModelFolder.readConfig(out);
            if (!saved.equals(config)) {
                throw new CheckpointException(out + " holds a model of another shape (" + saved
                        + ") than the run asks for (" + config + "); resume with the same architecture");
            }
            Path state = out.resolve(RESUME_STATE);
            if (!Files.exists(state)) {
                throw new CheckpointException(out + " has no " + RESUME_STATE + " (it was not written by the tf "
                        + "pre-trainer, or no evaluation ran yet); start without --resume");
            }
            Safetensors.Contents opt = Safetensors.read(state);
            init = new LinkedHashMap<>();
            moments = new LinkedHashMap<>();
            for (Tensor t : opt.tensors().values()) {
                if (t.name().startsWith("w.")) {
                    init.put(t.name().substring(2), t.toFloats());
                } else {
                    moments.put(t.name(), t.toFloats());
                }
            }
            startStep = Integer.parseInt(opt.metadata().getOrDefault("step", "0"));
        } else {
            init = initialWeights(config, tc.seed());
        }

        try (Graph g = new Graph()) {
            Trainer t = new Trainer(g, config, tc);
            try (Session s = new Session(g, TfTensors.config(threads))) {
                t.initialize(s, init, moments);
                return t.loop(s, spec, tokenizer, train, val, startStep, maxSteps, listener, wallStart);
            }
        }
    }

    private static Tokenizer tokenizer(PretrainSpec spec) {
        return Tokenizers.forTraining(spec.tokenizer(), spec.corpus());
    }

    /** nanoGPT's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 layers), norms at 1. */
    static Map<String, float[]> initialWeights(Gpt2Config c, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> w = new LinkedHashMap<>();
        double projStd = 0.02 / Math.sqrt(2.0 * c.nLayer());
        Gpt2Layout.shapes(c).forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
            if (name.contains("ln_") && name.endsWith(".weight")) {
                java.util.Arrays.fill(v, 1f);
            } else if (shape.length == 2) {
                double std = name.endsWith("c_proj.weight") ? projStd : 0.02;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (std * r.nextGaussian());
                }
            }
            w.put(name, v);
        });
        return w;
    }

    /** The training graph and its loop. */
    private static final class Trainer {
        private final Gpt2Config config;
        private final TrainingConfig tc;
        private final List<String> names;
        private final Map<String, Variable<TFloat32>> vars = new LinkedHashMap<>();
        private final Map<String, Variable<TFloat32>> firstMoments = new LinkedHashMap<>();
        private final Map<String, Variable<TFloat32>> secondMoments = new LinkedHashMap<>();
        private final List<Op> initOps = new ArrayList<>();
        private final Map<String, Placeholder<TFloat32>> initFeeds = new LinkedHashMap<>();
        private final Placeholder<TInt32> x;
        private final Placeholder<TInt32> y;
        private final Placeholder<TFloat32> lr;
        private final Placeholder<TFloat32> beta1Power;
        private final Placeholder<TFloat32> beta2Power;
        private final Operand<TFloat32> loss;
        private final Operand<TFloat32> gradNorm;
        private final List<Op> updates = new ArrayList<>();
        /** The step of the last resume state written. */
        private int resumeStep = -1;

        Trainer(Graph g, Gpt2Config config, TrainingConfig tc) {
            this.config = config;
            this.tc = tc;
            Ops tf = Ops.create(g);
            Map<String, long[]> shapes = Gpt2Layout.shapes(config);
            names = new ArrayList<>(shapes.keySet());
            for (String name : names) {
                Shape shape = Shape.of(shapes.get(name));
                String base = name.replace('.', '_');
                vars.put(name, variable(tf, base, shape));
                firstMoments.put(name, variable(tf, base + "_m", shape));
                secondMoments.put(name, variable(tf, base + "_v", shape));
            }
            x = tf.withName("x").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
            y = tf.withName("y").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
            lr = tf.withName("lr").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
            beta1Power = tf.withName("beta1_power").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
            beta2Power = tf.withName("beta2_power").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
            Gpt2Graph model = new Gpt2Graph(tf, config, vars::get, x, null, null);
            loss = tf.math.mean(model.tokenLosses(y), tf.constant(0));

            Output<?>[] wrt = names.stream().map(n -> vars.get(n).asOutput()).toArray(Output<?>[]::new);
            Output<?>[] grads = g.addGradients(loss.asOutput(), wrt);
            List<Operand<TFloat32>> squares = new ArrayList<>();
            for (Output<?> grad : grads) {
                Operand<TFloat32> gf = cast(grad);
                squares.add(tf.reshape(tf.sum(tf.math.square(gf), allAxes(tf, gf)), tf.constant(new int[] {1})));
            }
            gradNorm = tf.math.sqrt(tf.sum(tf.concat(squares, tf.constant(0)), tf.constant(0)));
            Operand<TFloat32> scale = tc.gradClip() > 0
                    ? tf.math.minimum(tf.constant(1f), tf.math.div(tf.constant((float) tc.gradClip()),
                            tf.math.add(gradNorm, tf.constant(1e-6f))))
                    : tf.constant(1f);
            List<Op> clipped = new ArrayList<>();
            List<Operand<TFloat32>> scaled = new ArrayList<>();
            for (Output<?> grad : grads) {
                var m = tf.math.mul(cast(grad), scale);
                scaled.add(m);
                clipped.add(m);
            }
            // Weight decay must not touch a variable before every gradient has been computed from it.
            Ops after = tf.withControlDependencies(clipped);
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                Variable<TFloat32> v = vars.get(name);
                List<Op> deps = new ArrayList<>(clipped);
                if (decays(name, shapes.get(name)) && tc.weightDecay() > 0) {
                    deps.add(after.assignSub(v, after.math.mul(v, after.math.mul(lr,
                            after.constant((float) tc.weightDecay())))));
                }
                updates.add(tf.withControlDependencies(deps).train.applyAdam(v, firstMoments.get(name),
                        secondMoments.get(name), beta1Power, beta2Power, lr, tf.constant((float) tc.beta1()),
                        tf.constant((float) tc.beta2()), tf.constant(ADAM_EPSILON), scaled.get(i)));
            }
        }

        @SuppressWarnings("unchecked")
        private static Operand<TFloat32> cast(Output<?> o) {
            return (Operand<TFloat32>) o;
        }

        private static Operand<TInt32> allAxes(Ops tf, Operand<TFloat32> t) {
            return tf.range(tf.constant(0), tf.rank(t), tf.constant(1));
        }

        private Variable<TFloat32> variable(Ops tf, String name, Shape shape) {
            Variable<TFloat32> v = tf.withName(name).variable(shape, TFloat32.class);
            Placeholder<TFloat32> feed = tf.withName(name + "_init").placeholder(TFloat32.class, Placeholder.shape(shape));
            initFeeds.put(name, feed);
            initOps.add(tf.assign(v, feed));
            return v;
        }

        /** nanoGPT decays every tensor of two or more dimensions (matrices, embeddings), never norms or biases. */
        private static boolean decays(String name, long[] shape) {
            return shape.length >= 2;
        }

        void initialize(Session s, Map<String, float[]> weights, Map<String, float[]> moments) {
            Session.Runner r = s.runner();
            List<org.tensorflow.Tensor> owned = new ArrayList<>();
            try {
                Map<String, long[]> shapes = Gpt2Layout.shapes(config);
                for (String name : names) {
                    String base = name.replace('.', '_');
                    long[] shape = shapes.get(name);
                    int size = Math.toIntExact(Tensor.elementCount(shape));
                    feed(r, owned, base, weights.get(name), shape);
                    feed(r, owned, base + "_m", moments == null ? new float[size] : moments.get("m." + name), shape);
                    feed(r, owned, base + "_v", moments == null ? new float[size] : moments.get("v." + name), shape);
                }
                initOps.forEach(r::addTarget);
                r.run().close();
            } finally {
                owned.forEach(org.tensorflow.Tensor::close);
            }
        }

        private void feed(Session.Runner r, List<org.tensorflow.Tensor> owned, String base, float[] values, long[] shape) {
            if (values == null) {
                throw new CheckpointException("the optimizer state has no moments for " + base
                        + "; start a new run instead of resuming");
            }
            TFloat32 t = TfTensors.floats(values, shape);
            owned.add(t);
            r.feed(initFeeds.get(base), t);
        }

        TrainingResult loop(Session s, PretrainSpec spec, Tokenizer tokenizer, TokenArray train, TokenArray val,
                int startStep, int maxSteps, TrainingListener listener, long wallStart) {
            String runId = UUID.randomUUID().toString();
            long params = config.parameterCount();
            listener.onEvent(new TrainingEvent.Started(runId, startStep, maxSteps, params, params));
            // One stream per run, advanced past the batches of earlier steps so a resumed run draws the same data.
            Random batches = new Random(tc.seed() ^ 0x5DEECE66DL);
            for (int i = 0; i < startStep; i++) {
                sample(train, batches);
            }
            Path out = spec.outputDir();
            double trainLoss = Double.NaN;
            double valLoss = Double.NaN;
            double best = Double.POSITIVE_INFINITY;
            double stepNanos = 0;
            int steps = 0;
            boolean saved = false;
            for (int step = startStep; step < maxSteps; step++) {
                int[][] xy = sample(train, batches);
                long t0 = System.nanoTime();
                double rate = tc.learningRateAt(step);
                float stepLoss = step(s, xy, rate, step + 1);
                long dt = System.nanoTime() - t0;
                stepNanos += dt;
                steps++;
                trainLoss = stepLoss;
                if (!Float.isFinite(stepLoss)) {
                    throw new dev.keel.api.KeelException("the loss became " + stepLoss + " at step " + step
                            + "; lower the learning rate or keep gradient clipping on");
                }
                listener.onEvent(new TrainingEvent.Step(step + 1, maxSteps, stepLoss, rate,
                        (double) tc.batchSize() * tc.blockSize() / (dt / 1e9), dt / 1e6));
                boolean last = step == maxSteps - 1;
                boolean evalNow = tc.evalInterval() > 0 && tc.evalIters() > 0
                        && ((step + 1) % tc.evalInterval() == 0 || last) && val.size() > tc.blockSize() + 1;
                if (evalNow) {
                    trainLoss = estimate(s, train, step);
                    valLoss = estimate(s, val, step);
                    listener.onEvent(new TrainingEvent.Evaluation(step + 1, trainLoss, valLoss, Map.of()));
                    log(out, Map.of("step", step + 1, "train_loss", trainLoss, "val_loss", valLoss, "lr", rate));
                    boolean isBest = valLoss < best;
                    best = Math.min(best, valLoss);
                    boolean portable = !tc.saveBestOnly() || isBest;
                    save(s, spec, tokenizer, train, step + 1, trainLoss, valLoss, portable);
                    if (portable) {
                        saved = true;
                        listener.onEvent(new TrainingEvent.CheckpointSaved(step + 1, out, isBest));
                    }
                }
            }
            if (!saved || resumeStep != maxSteps) {
                save(s, spec, tokenizer, train, maxSteps, trainLoss, valLoss, !saved);
                if (!saved) {
                    listener.onEvent(new TrainingEvent.CheckpointSaved(maxSteps, out, false));
                }
            }
            double ms = steps == 0 ? 0 : stepNanos / 1e6 / steps;
            TrainingResult result = new TrainingResult(maxSteps, trainLoss, valLoss,
                    Double.isInfinite(best) ? valLoss : best, params, params,
                    ms == 0 ? 0 : tc.batchSize() * tc.blockSize() / (ms / 1000), ms,
                    (System.nanoTime() - wallStart) / 1e9, out, Map.of());
            listener.onEvent(new TrainingEvent.Finished(result));
            return result;
        }

        private float step(Session s, int[][] xy, double rate, int t) {
            try (TInt32 xt = TfTensors.ints(xy[0], tc.batchSize(), tc.blockSize());
                    TInt32 yt = TfTensors.ints(xy[1], tc.batchSize(), tc.blockSize());
                    TFloat32 lrT = TFloat32.scalarOf((float) rate);
                    TFloat32 b1 = TFloat32.scalarOf((float) Math.pow(tc.beta1(), t));
                    TFloat32 b2 = TFloat32.scalarOf((float) Math.pow(tc.beta2(), t))) {
                Session.Runner r = s.runner().feed(x, xt).feed(y, yt).feed(lr, lrT).feed(beta1Power, b1)
                        .feed(beta2Power, b2).fetch(loss);
                updates.forEach(r::addTarget);
                try (Result res = r.run()) {
                    return ((TFloat32) res.get(0)).getFloat();
                }
            }
        }

        /** nanoGPT's estimate: mean loss over {@code evalIters} batches drawn with a seed fixed per step. */
        private double estimate(Session s, TokenArray data, int step) {
            Random r = new Random(tc.seed() * 31 + step);
            double sum = 0;
            for (int i = 0; i < tc.evalIters(); i++) {
                int[][] xy = sample(data, r);
                try (TInt32 xt = TfTensors.ints(xy[0], tc.batchSize(), tc.blockSize());
                        TInt32 yt = TfTensors.ints(xy[1], tc.batchSize(), tc.blockSize());
                        Result res = s.runner().feed(x, xt).feed(y, yt).fetch(loss).run()) {
                    sum += ((TFloat32) res.get(0)).getFloat();
                }
            }
            return sum / tc.evalIters();
        }

        private int[][] sample(TokenArray data, Random r) {
            int b = tc.batchSize();
            int t = tc.blockSize();
            int[] xs = new int[b * t];
            int[] ys = new int[b * t];
            for (int i = 0; i < b; i++) {
                int at = r.nextInt(data.size() - t - 1 + 1);
                data.copy(at, xs, i * t, t);
                data.copy(at + 1, ys, i * t, t);
            }
            return new int[][] {xs, ys};
        }

        /** Writes the resume state, and the portable folder when {@code portable}. */
        private void save(Session s, PretrainSpec spec, Tokenizer tokenizer, TokenArray train, int step,
                double trainLoss, double valLoss, boolean portable) {
            resumeStep = step;
            Map<String, long[]> shapes = Gpt2Layout.shapes(config);
            List<Tensor> weights = new ArrayList<>();
            List<Tensor> moments = new ArrayList<>();
            Session.Runner r = s.runner();
            for (String name : names) {
                r.fetch(vars.get(name)).fetch(firstMoments.get(name)).fetch(secondMoments.get(name));
            }
            try (Result res = r.run()) {
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get(i);
                    long[] shape = shapes.get(name);
                    float[] values = TfTensors.read((TFloat32) res.get(3 * i));
                    weights.add(Tensor.ofFloats(name, shape, values));
                    moments.add(Tensor.ofFloats("w." + name, shape, values));
                    moments.add(Tensor.ofFloats("m." + name, shape,
                            TfTensors.read((TFloat32) res.get(3 * i + 1))));
                    moments.add(Tensor.ofFloats("v." + name, shape,
                            TfTensors.read((TFloat32) res.get(3 * i + 2))));
                }
            }
            Path out = spec.outputDir();
            try {
                Files.createDirectories(out.resolve(RESUME_STATE).getParent());
            } catch (IOException e) {
                throw new CheckpointException("cannot create model folder " + out + ": " + e.getMessage(), e);
            }
            Safetensors.write(out.resolve(RESUME_STATE), moments, Map.of("step", Integer.toString(step)));
            if (!portable) {
                return;
            }
            Map<String, Object> training = new LinkedHashMap<>();
            training.put("backend", TfBackendProvider.NAME);
            training.put("step", step);
            training.putAll(KeelMetadata.trainingSettings(tc));
            Map<String, Double> metrics = new LinkedHashMap<>();
            if (!Double.isNaN(trainLoss)) {
                metrics.put("train_loss", trainLoss);
            }
            if (!Double.isNaN(valLoss)) {
                metrics.put("val_loss", valLoss);
            }
            KeelMetadata meta = KeelMetadata.create(TfBackendProvider.NAME, "pretrain")
                    .withVersion("tf-pretrain-" + UUID.randomUUID().toString().substring(0, 8))
                    .withTraining(training)
                    .withData(Map.of("corpus", train.fingerprint()))
                    .withMetrics(metrics);
            ModelFolder.write(out, config, weights, tokenizer, meta);
        }

        private static void log(Path out, Map<String, Object> line) {
            try {
                Files.createDirectories(out);
                Files.writeString(out.resolve(LOG), Json.compact(line) + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new CheckpointException("cannot append to " + out.resolve(LOG) + ": " + e.getMessage(), e);
            }
        }
    }
}
