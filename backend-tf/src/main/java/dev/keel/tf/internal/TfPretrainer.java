package dev.keel.tf.internal;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.Pretrainer;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.train.PretrainEngine;
import dev.keel.spi.train.PretrainLoop;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Pre-trains a GPT-2 on TensorFlow: Keel's one pre-training loop ({@link PretrainLoop}: schedule, evaluation,
 * checkpoints in the common resume format, resume from any engine's state, stopping) over a training graph
 * of TensorFlow's own: the serving graph ({@link Gpt2Graph}) over variables, differentiated with
 * {@code Graph.addGradients}, global-norm gradient clipping and AdamW written in the graph (decoupled weight
 * decay on matrices and embeddings only, as nanoGPT does, then TensorFlow's {@code ApplyAdam}, which computes
 * the same bias-corrected update as the djl engine), with the learning rate fed each step.
 *
 * <p>Dropout is not implemented: a config asking for it is refused rather than silently trained without.
 */
final class TfPretrainer implements Pretrainer {
    static final String LOG = PretrainLoop.LOG;
    private static final float ADAM_EPSILON = 1e-8f;

    private final int threads;
    private final KeelCache cache;

    TfPretrainer(int threads) {
        this(threads, KeelCache.fromConfiguration());
    }

    TfPretrainer(int threads, KeelCache cache) {
        this.threads = threads;
        this.cache = cache;
    }

    @Override
    public TrainingResult pretrain(PretrainSpec spec, TrainingListener listener) {
        return PretrainLoop.run(spec, listener, new TfPretrainEngine(), cache);
    }

    private final class TfPretrainEngine implements PretrainEngine {
        @Override
        public String backend() {
            return TfBackendProvider.NAME;
        }

        @Override
        public void check(Gpt2Config config, TrainingConfig training) {
            if (config.dropout() > 0) {
                throw new InvalidInputException("the tf pre-trainer has no dropout yet, and the config asks for "
                        + config.dropout() + "; train with dropout 0 (--dropout 0) or on the djl backend");
            }
        }

        @Override
        public Model open(Gpt2Config config, Map<String, Tensor> weights, Map<String, Tensor> moments, int step,
                TrainingConfig training) {
            Graph g = new Graph();
            Session s = null;
            try {
                Trainer t = new Trainer(g, config, training);
                s = new Session(g, TfTensors.config(threads));
                t.initialize(s, weights, moments);
                return new TfModel(g, s, t);
            } catch (RuntimeException e) {
                if (s != null) {
                    s.close();
                }
                g.close();
                throw e;
            }
        }
    }

    private record TfModel(Graph graph, Session session, Trainer trainer) implements PretrainEngine.Model {
        @Override
        public float step(int step, int[] x, int[] y, double learningRate) {
            return trainer.step(session, x, y, learningRate, step + 1);
        }

        @Override
        public double loss(int[] x, int[] y) {
            return trainer.loss(session, x, y);
        }

        @Override
        public List<Tensor> weights() {
            return trainer.fetch(session, false);
        }

        @Override
        public List<Tensor> moments() {
            return trainer.fetch(session, true);
        }

        @Override
        public void close() {
            try {
                session.close();
            } finally {
                graph.close();
            }
        }
    }

    /** The training graph: forward, gradients, clipping and AdamW updates over variables. */
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

        /** Sets every variable: the given weights, and the moments given (PyTorch's names) or zeros. */
        void initialize(Session s, Map<String, Tensor> weights, Map<String, Tensor> moments) {
            Session.Runner r = s.runner();
            List<org.tensorflow.Tensor> owned = new ArrayList<>();
            try {
                Map<String, long[]> shapes = Gpt2Layout.shapes(config);
                Map<String, Tensor> canonical = Gpt2Layout.normalize(weights, config);
                for (String name : names) {
                    String base = name.replace('.', '_');
                    long[] shape = shapes.get(name);
                    int size = Math.toIntExact(Tensor.elementCount(shape));
                    feed(r, owned, base, values(canonical.get(name), name), shape);
                    feed(r, owned, base + "_m", moments.isEmpty() ? new float[size]
                            : values(moments.get(name + ".exp_avg"), name + ".exp_avg"), shape);
                    feed(r, owned, base + "_v", moments.isEmpty() ? new float[size]
                            : values(moments.get(name + ".exp_avg_sq"), name + ".exp_avg_sq"), shape);
                }
                initOps.forEach(r::addTarget);
                r.run().close();
            } finally {
                owned.forEach(org.tensorflow.Tensor::close);
            }
        }

        private static float[] values(Tensor t, String name) {
            if (t == null) {
                throw new CheckpointException("the checkpoint has no tensor " + name + "; start a new run instead of "
                        + "resuming");
            }
            return t.toFloats();
        }

        private void feed(Session.Runner r, List<org.tensorflow.Tensor> owned, String base, float[] values,
                long[] shape) {
            TFloat32 t = TfTensors.floats(values, shape);
            owned.add(t);
            r.feed(initFeeds.get(base), t);
        }

        /** One AdamW step; {@code t} is Adam's 1-based update count, for its bias correction. */
        float step(Session s, int[] xs, int[] ys, double rate, int t) {
            try (TInt32 xt = TfTensors.ints(xs, tc.batchSize(), tc.blockSize());
                    TInt32 yt = TfTensors.ints(ys, tc.batchSize(), tc.blockSize());
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

        double loss(Session s, int[] xs, int[] ys) {
            try (TInt32 xt = TfTensors.ints(xs, tc.batchSize(), tc.blockSize());
                    TInt32 yt = TfTensors.ints(ys, tc.batchSize(), tc.blockSize());
                    Result res = s.runner().feed(x, xt).feed(y, yt).fetch(loss).run()) {
                return ((TFloat32) res.get(0)).getFloat();
            }
        }

        /** The weights, or AdamW's moments under PyTorch's names ({@code NAME.exp_avg}, {@code NAME.exp_avg_sq}). */
        List<Tensor> fetch(Session s, boolean moments) {
            Map<String, long[]> shapes = Gpt2Layout.shapes(config);
            List<Tensor> out = new ArrayList<>();
            Session.Runner r = s.runner();
            for (String name : names) {
                if (moments) {
                    r.fetch(firstMoments.get(name)).fetch(secondMoments.get(name));
                } else {
                    r.fetch(vars.get(name));
                }
            }
            try (Result res = r.run()) {
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get(i);
                    long[] shape = shapes.get(name);
                    if (moments) {
                        out.add(Tensor.ofFloats(name + ".exp_avg", shape, TfTensors.read((TFloat32) res.get(2 * i))));
                        out.add(Tensor.ofFloats(name + ".exp_avg_sq", shape,
                                TfTensors.read((TFloat32) res.get(2 * i + 1))));
                    } else {
                        out.add(Tensor.ofFloats(name, shape, TfTensors.read((TFloat32) res.get(i))));
                    }
                }
            }
            return out;
        }
    }
}
