package dev.keel.adapters;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Trains a {@link ClassifierHead} on frozen features in plain Java: class-weighted softmax cross-entropy,
 * AdamW, mini-batches, and early stopping on dev accuracy (the best epoch's weights are kept). Features are
 * standardised during training and the scaling is folded back into the first layer, so the saved head
 * reads raw embeddings. Cheap: a linear head over 67k SST-2 embeddings takes about a second an epoch.
 */
public final class HeadTrainer {

    /**
     * @param epochs       passes over the training features (upper bound when early stopping)
     * @param batchSize    examples per step
     * @param learningRate AdamW step size
     * @param weightDecay  decoupled weight decay on matrices
     * @param hidden       width of a tanh hidden layer; 0 for a linear head
     * @param patience     evaluations without a better dev accuracy before stopping; 0 never stops early
     * @param classWeights per-class loss weights ({@link ClassWeights})
     * @param seed         initialisation and shuffling
     */
    public record Options(int epochs, int batchSize, double learningRate, double weightDecay, int hidden,
            int patience, float[] classWeights, long seed) {
        public Options {
            if (epochs <= 0 || batchSize <= 0 || !(learningRate > 0) || hidden < 0 || patience < 0 || weightDecay < 0) {
                throw new InvalidInputException("head training needs epochs, batch and learning rate > 0, hidden, "
                        + "patience and weight decay >= 0");
            }
        }
    }

    /** What one epoch achieved. */
    public record Epoch(int epoch, double trainLoss, ClassificationMetrics dev) { }

    /** The trained head (best dev epoch), its history and the dev metrics of the kept weights. */
    public record Result(ClassifierHead head, List<Epoch> history, int bestEpoch, ClassificationMetrics dev) { }

    /**
     * Data-parallel training of one shard among several: the standardisation computed over all shards (so
     * every worker's parameters live in one space), and a hook that sees the live parameter arrays after
     * every batch and may overwrite them (with the workers' average). Every worker must see the same number
     * of batches, and the hook must leave the parameters equal on all workers at each epoch's end, so that
     * dev evaluation and early stopping decide alike everywhere.
     *
     * @param mean per-feature mean over all shards
     * @param inv  per-feature 1 / standard deviation over all shards
     * @param sync called after each batch
     */
    public record Distributed(float[] mean, float[] inv, ParameterSync sync) { }

    /** Called after each batch with the parameters (weight rows and biases of every layer), changed in place. */
    @FunctionalInterface
    public interface ParameterSync {
        void afterBatch(int batch, boolean epochEnd, List<float[]> parameters);
    }

    private HeadTrainer() { }

    public static Result train(float[][] x, int[] y, int classes, float[][] devX, int[] devY, Options o,
            Consumer<Epoch> progress) {
        return train(x, y, classes, devX, devY, o, progress, null);
    }

    /** Trains one shard of a data-parallel run when {@code distributed} is given; alone when it is null. */
    public static Result train(float[][] x, int[] y, int classes, float[][] devX, int[] devY, Options o,
            Consumer<Epoch> progress, Distributed distributed) {
        if (x.length == 0 || x.length != y.length) {
            throw new InvalidInputException("head training needs one label per feature row and at least one row");
        }
        int d = x[0].length;
        Random rnd = new Random(o.seed());
        float[] mean = new float[d];
        float[] inv = new float[d];
        if (distributed == null) {
            standardisation(x, mean, inv);
        } else {
            System.arraycopy(distributed.mean(), 0, mean, 0, d);
            System.arraycopy(distributed.inv(), 0, inv, 0, d);
        }

        int h = o.hidden();
        int in2 = h == 0 ? d : h;
        Param w1 = h == 0 ? null : Param.init(h, d, rnd);
        Param w2 = Param.init(classes, in2, rnd);
        if (h == 0) {
            w2.zero(); // a linear softmax model is convex: start from zero, the run is then seed-independent
        }
        EarlyStopping stopper = new EarlyStopping(o.patience(), 1e-4);
        List<Epoch> history = new ArrayList<>();
        ClassifierHead best = null;
        ClassificationMetrics bestDev = null;
        int bestEpoch = 0;
        int[] order = new int[x.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int step = 0;
        int batches = 0;
        List<float[]> parameters = new ArrayList<>();
        for (Param p : w1 == null ? List.of(w2) : List.of(w1, w2)) {
            parameters.addAll(List.of(p.w));
            parameters.add(p.b);
        }
        float[] xs = new float[d];
        float[] hid = new float[in2];
        double[] z = new double[classes];
        for (int epoch = 1; epoch <= o.epochs(); epoch++) {
            shuffle(order, rnd);
            double lossSum = 0;
            double weightSum = 0;
            for (int start = 0; start < order.length; start += o.batchSize()) {
                int end = Math.min(order.length, start + o.batchSize());
                double batchWeight = 0;
                for (int bi = start; bi < end; bi++) {
                    batchWeight += o.classWeights()[y[order[bi]]];
                }
                if (batchWeight == 0) {
                    if (distributed != null) {
                        distributed.sync().afterBatch(++batches, end == order.length, parameters);
                    }
                    continue;
                }
                for (int bi = start; bi < end; bi++) {
                    int i = order[bi];
                    float cw = o.classWeights()[y[i]];
                    if (cw == 0) {
                        continue;
                    }
                    for (int j = 0; j < d; j++) {
                        xs[j] = (x[i][j] - mean[j]) * inv[j];
                    }
                    float[] a = xs;
                    if (w1 != null) {
                        for (int j = 0; j < h; j++) {
                            hid[j] = (float) Math.tanh(ClassifierHead.dot(w1.w[j], xs) + w1.b[j]);
                        }
                        a = hid;
                    }
                    for (int c = 0; c < classes; c++) {
                        z[c] = ClassifierHead.dot(w2.w[c], a) + w2.b[c];
                    }
                    double[] p = ClassifierHead.softmax(z);
                    lossSum -= cw * Math.log(Math.max(p[y[i]], 1e-12));
                    weightSum += cw;
                    double scale = cw / batchWeight;
                    float[] da = w1 == null ? null : new float[h];
                    for (int c = 0; c < classes; c++) {
                        float g = (float) ((p[c] - (c == y[i] ? 1 : 0)) * scale);
                        w2.gb[c] += g;
                        float[] gw = w2.gw[c];
                        float[] wc = w2.w[c];
                        for (int j = 0; j < in2; j++) {
                            gw[j] += g * a[j];
                            if (da != null) {
                                da[j] += g * wc[j];
                            }
                        }
                    }
                    if (w1 != null) {
                        for (int j = 0; j < h; j++) {
                            float g = da[j] * (1 - hid[j] * hid[j]);
                            w1.gb[j] += g;
                            float[] gw = w1.gw[j];
                            for (int k = 0; k < d; k++) {
                                gw[k] += g * xs[k];
                            }
                        }
                    }
                }
                step++;
                w2.adamw(o.learningRate(), o.weightDecay(), step);
                if (w1 != null) {
                    w1.adamw(o.learningRate(), o.weightDecay(), step);
                }
                if (distributed != null) {
                    distributed.sync().afterBatch(++batches, end == order.length, parameters);
                }
            }
            ClassifierHead head = fold(w1, w2, mean, inv);
            ClassificationMetrics dev = devX == null ? null : evaluate(head, devX, devY);
            Epoch e = new Epoch(epoch, lossSum / Math.max(weightSum, 1e-12), dev);
            history.add(e);
            progress.accept(e);
            if (dev == null || stopper.update(dev.accuracy())) {
                best = head;
                bestDev = dev;
                bestEpoch = epoch;
            }
            if (dev != null && stopper.shouldStop()) {
                break;
            }
        }
        return new Result(best, history, bestEpoch, bestDev);
    }

    public static ClassificationMetrics evaluate(ClassifierHead head, float[][] x, int[] y) {
        double[][] p = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            p[i] = head.probabilities(x[i]);
        }
        return ClassificationMetrics.of(y, p);
    }

    private static void standardisation(float[][] x, float[] mean, float[] inv) {
        int d = mean.length;
        double[] s = new double[d];
        double[] s2 = new double[d];
        for (float[] row : x) {
            if (row.length != d) {
                throw new InvalidInputException("feature rows differ in length: " + row.length + " vs " + d);
            }
            for (int j = 0; j < d; j++) {
                s[j] += row[j];
                s2[j] += (double) row[j] * row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            double m = s[j] / x.length;
            double var = Math.max(s2[j] / x.length - m * m, 0);
            mean[j] = (float) m;
            inv[j] = (float) (1.0 / Math.sqrt(var + 1e-8));
        }
    }

    /** Folds (x - mean) * inv into the first layer, so the head reads raw features. */
    private static ClassifierHead fold(Param w1, Param w2, float[] mean, float[] inv) {
        Param first = w1 != null ? w1 : w2;
        float[][] w = new float[first.w.length][mean.length];
        float[] b = new float[first.w.length];
        for (int r = 0; r < w.length; r++) {
            double shift = 0;
            for (int j = 0; j < mean.length; j++) {
                w[r][j] = first.w[r][j] * inv[j];
                shift += (double) w[r][j] * mean[j];
            }
            b[r] = (float) (first.b[r] - shift);
        }
        if (w1 == null) {
            return new ClassifierHead(null, null, w, b);
        }
        float[][] w2c = new float[w2.w.length][];
        for (int r = 0; r < w2c.length; r++) {
            w2c[r] = w2.w[r].clone();
        }
        return new ClassifierHead(w, b, w2c, w2.b.clone());
    }

    private static void shuffle(int[] a, Random rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** A linear layer's weights, gradients and AdamW moments. */
    private static final class Param {
        final float[][] w;
        final float[] b;
        final float[][] gw;
        final float[] gb;
        final float[][] mw;
        final float[][] vw;
        final float[] mb;
        final float[] vb;

        Param(int out, int in) {
            w = new float[out][in];
            b = new float[out];
            gw = new float[out][in];
            gb = new float[out];
            mw = new float[out][in];
            vw = new float[out][in];
            mb = new float[out];
            vb = new float[out];
        }

        static Param init(int out, int in, Random rnd) {
            Param p = new Param(out, in);
            double bound = 1 / Math.sqrt(in);
            for (float[] row : p.w) {
                for (int j = 0; j < in; j++) {
                    row[j] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                }
            }
            return p;
        }

        void zero() {
            for (float[] row : w) {
                java.util.Arrays.fill(row, 0f);
            }
        }

        void adamw(double lr, double wd, int step) {
            double b1 = 0.9;
            double b2 = 0.999;
            double c1 = 1 - Math.pow(b1, step);
            double c2 = 1 - Math.pow(b2, step);
            for (int r = 0; r < w.length; r++) {
                for (int j = 0; j < w[r].length; j++) {
                    float g = gw[r][j];
                    mw[r][j] = (float) (b1 * mw[r][j] + (1 - b1) * g);
                    vw[r][j] = (float) (b2 * vw[r][j] + (1 - b2) * g * g);
                    w[r][j] -= (float) (lr * (mw[r][j] / c1 / (Math.sqrt(vw[r][j] / c2) + 1e-8) + wd * w[r][j]));
                    gw[r][j] = 0;
                }
                float g = gb[r];
                mb[r] = (float) (b1 * mb[r] + (1 - b1) * g);
                vb[r] = (float) (b2 * vb[r] + (1 - b2) * g * g);
                b[r] -= (float) (lr * mb[r] / c1 / (Math.sqrt(vb[r] / c2) + 1e-8));
                gb[r] = 0;
            }
        }
    }
}
