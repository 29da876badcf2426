package dev.keel.djl.internal.gpt2;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.keel.api.Device;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.Pretrainer;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.KeelCache;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.train.PretrainCheckpoint;
import dev.keel.spi.train.PretrainEngine;
import dev.keel.spi.train.PretrainLoop;
import java.util.List;
import java.util.Map;

/**
 * Pre-training gpt2 on DJL (PyTorch): Keel's one pre-training loop ({@link PretrainLoop}: schedule, evaluation,
 * checkpoints, resume, stopping) over {@link Gpt2Model} and {@link AdamW}. What is DJL's own here is the step:
 * the forward and backward pass under a gradient collector, clipping and the fused Adam update, and dropout
 * masks drawn from the engine's generator, reseeded per step so a resumed run draws the masks the
 * uninterrupted run would have.
 */
public final class Gpt2Pretrainer implements Pretrainer {
    public static final String RESUME = PretrainCheckpoint.DIR;
    public static final String LOG = PretrainLoop.LOG;
    public static final String OPTIMIZER = PretrainCheckpoint.OPTIMIZER;
    public static final String STATE = PretrainCheckpoint.STATE;

    private final Device device;
    private final KeelCache cache;

    /** A pre-trainer caching tokenized corpora in {@link KeelCache#fromConfiguration()}. */
    public Gpt2Pretrainer(Device device) {
        this(device, KeelCache.fromConfiguration());
    }

    public Gpt2Pretrainer(Device device, KeelCache cache) {
        this.device = device;
        this.cache = cache;
    }

    @Override
    public TrainingResult pretrain(PretrainSpec spec, TrainingListener listener) {
        return PretrainLoop.run(spec, listener, new DjlPretrainEngine(DjlEngine.device(device)), cache);
    }

    private record DjlPretrainEngine(ai.djl.Device device) implements PretrainEngine {
        @Override
        public String backend() {
            return "djl";
        }

        @Override
        public Model open(Gpt2Config config, Map<String, Tensor> weights, Map<String, Tensor> moments, int step,
                TrainingConfig training) {
            Gpt2Model model = Gpt2Model.fromTensors(config, weights, device);
            AdamW optimizer = null;
            try {
                optimizer = new AdamW(model.namedParameters(), model.manager(), training.beta1(), training.beta2(),
                        training.weightDecay());
                if (!moments.isEmpty()) {
                    optimizer.restore(moments, step);
                }
                model.setTrainable(true);
                return new DjlModel(model, optimizer, DjlEngine.pytorch(), training);
            } catch (RuntimeException e) {
                if (optimizer != null) {
                    optimizer.close();
                }
                model.close();
                throw e;
            }
        }
    }

    private record DjlModel(Gpt2Model model, AdamW optimizer, Engine engine, TrainingConfig tc)
            implements PretrainEngine.Model {
        @Override
        public float step(int step, int[] x, int[] y, double learningRate) {
            if (model.config().dropout() > 0) {
                // dropout masks come from the engine's generator; reseeding per step makes resume exact
                engine.setRandomSeed((int) (tc.seed() * 31 + step));
            }
            try (NDManager local = model.manager().newSubManager()) {
                float loss;
                try (GradientCollector collector = engine.newGradientCollector()) {
                    NDArray l = model.loss(local, tokens(local, x), tokens(local, y), true);
                    collector.backward(l);
                    loss = l.getFloat();
                }
                optimizer.clipAndUpdate(local, learningRate, tc.gradClip());
                return loss;
            }
        }

        @Override
        public double loss(int[] x, int[] y) {
            try (NDManager local = model.manager().newSubManager()) {
                return model.loss(local, tokens(local, x), tokens(local, y), false).getFloat();
            }
        }

        private NDArray tokens(NDManager local, int[] ids) {
            long[] longs = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                longs[i] = ids[i];
            }
            return DjlEngine.ownedLongs(local, longs, new Shape(tc.batchSize(), ids.length / tc.batchSize()));
        }

        @Override
        public List<Tensor> weights() {
            return model.toTensors();
        }

        @Override
        public List<Tensor> moments() {
            return optimizer.stateTensors();
        }

        @Override
        public void close() {
            try {
                optimizer.close();
            } finally {
                model.close();
            }
        }
    }
}
