package dev.keel.djl.internal.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.keel.api.CheckpointException;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.checkpoint.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * AdamW as nanoGPT configures it: decoupled weight decay on matrices and embeddings only (parameters of two
 * or more dimensions), none on biases and layer-norm gains. DJL's optimizers take one decay for every
 * parameter, so the groups are chosen here and each parameter is updated with the engine's fused Adam step.
 * Its moments are saved with the checkpoint (DJL's {@code model.save} drops them), so a resumed run continues
 * exactly. Every DJL training loop in Keel uses it: gpt2 pre-training and fine-tuning over the blocks'
 * {@link Parameter}s, bert fine-tuning and LoRA over plain named arrays ({@link #overArrays}).
 */
public final class AdamW implements AutoCloseable {
    private static final float EPSILON = 1e-8f;

    /** The trained arrays by name, read at each step (a Parameter's array may be replaced, e.g. on load). */
    private final Map<String, Supplier<NDArray>> parameters;
    private final NDManager manager;
    private final Map<String, NDArray> means = new LinkedHashMap<>();
    private final Map<String, NDArray> variances = new LinkedHashMap<>();
    private final float beta1;
    private final float beta2;
    private final float weightDecay;
    private int step;

    public AdamW(Map<String, Parameter> parameters, NDManager parent, double beta1, double beta2, double weightDecay) {
        this(parent, suppliers(parameters, p -> p::getArray), beta1, beta2, weightDecay);
    }

    /** An optimizer over named arrays that require gradients (models that are not DJL blocks). */
    public static AdamW overArrays(Map<String, NDArray> arrays, NDManager parent, double beta1, double beta2,
            double weightDecay) {
        return new AdamW(parent, suppliers(arrays, a -> () -> a), beta1, beta2, weightDecay);
    }

    private static <T> Map<String, Supplier<NDArray>> suppliers(Map<String, T> named,
            Function<T, Supplier<NDArray>> read) {
        Map<String, Supplier<NDArray>> out = new LinkedHashMap<>();
        named.forEach((name, value) -> out.put(name, read.apply(value)));
        return out;
    }

    private AdamW(NDManager parent, Map<String, Supplier<NDArray>> parameters, double beta1, double beta2,
            double weightDecay) {
        this.parameters = parameters;
        this.manager = parent.newSubManager();
        this.beta1 = (float) beta1;
        this.beta2 = (float) beta2;
        this.weightDecay = (float) weightDecay;
        parameters.forEach((name, p) -> {
            NDArray w = p.get();
            means.put(name, manager.zeros(w.getShape(), w.getDataType()));
            variances.put(name, manager.zeros(w.getShape(), w.getDataType()));
        });
    }

    /** Whether nanoGPT's recipe decays this parameter: matrices and embeddings yes, vectors no. */
    public static boolean decays(NDArray weight) {
        return weight.getShape().dimension() >= 2;
    }

    /** Updates taken so far. */
    public int step() {
        return step;
    }

    /**
     * The global L2 norm of all gradients, read back once (it synchronises with the device). Used for clipping.
     */
    public float gradientNorm(NDManager local) {
        List<NDArray> squares = new ArrayList<>(parameters.size());
        for (Supplier<NDArray> p : parameters.values()) {
            // the gradient handle and every result computed from it belong to the parameter's long-lived
            // manager: close each one here, or a parameter-sized array per parameter stays until the model
            // closes (3 MB a step for the demo's 0.8M-parameter model: 5 GB after 1,000 steps)
            try (NDArray grad = p.get().getGradient(); NDArray square = grad.square()) {
                NDArray sq = square.sum();
                sq.attach(local);
                squares.add(sq);
            }
        }
        NDArray total = NDArrays.stack(new NDList(squares)).sum().sqrt();
        return total.getFloat();
    }

    /**
     * One AdamW step at learning rate {@code lr}, scaling gradients by {@code gradScale} first (gradient
     * clipping passes {@code clip / norm} when the norm is above the clip).
     */
    public void update(double lr, float gradScale) {
        step++;
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        float rate = (float) lr;
        float corrected = (float) (lr * Math.sqrt(c2) / c1);
        for (Map.Entry<String, Supplier<NDArray>> e : parameters.entrySet()) {
            NDArray w = e.getValue().get();
            NDArray grad = w.getGradient();
            float decay = decays(w) ? weightDecay : 0f;
            w.getNDArrayInternal().adamUpdate(new NDList(w, grad, means.get(e.getKey()), variances.get(e.getKey())),
                    new NDList(w), rate, corrected, decay, gradScale, -1f, beta1, beta2, EPSILON, true, true);
            grad.close();
            // PyTorch accumulates gradients across backward passes and DJL's collector never clears them
            JniUtils.zeroGrad((PtNDArray) w);
        }
    }

    /** Clips the global gradient norm to {@code clip} (0 disables clipping), then takes one step. */
    public void clipAndUpdate(NDManager local, double lr, double clip) {
        float scale = 1f;
        if (clip > 0) {
            float norm = gradientNorm(local);
            scale = (float) Math.min(1.0, clip / (norm + 1e-6));
        }
        update(lr, scale);
    }

    /** The moments as tensors named {@code NAME.exp_avg} and {@code NAME.exp_avg_sq} (PyTorch's names). */
    public List<Tensor> stateTensors() {
        List<Tensor> out = new ArrayList<>();
        means.forEach((name, m) -> out.add(Gpt2Model.toTensor(name + ".exp_avg", m)));
        variances.forEach((name, v) -> out.add(Gpt2Model.toTensor(name + ".exp_avg_sq", v)));
        return out;
    }

    /** Restores moments and step count written by {@link #stateTensors}. */
    public void restore(Map<String, Tensor> tensors, int steps) {
        for (String name : parameters.keySet()) {
            restore(means, name, tensors.get(name + ".exp_avg"));
            restore(variances, name, tensors.get(name + ".exp_avg_sq"));
        }
        this.step = steps;
    }

    private void restore(Map<String, NDArray> into, String name, Tensor t) {
        NDArray current = into.get(name);
        if (t == null || !java.util.Arrays.equals(t.shape(), current.getShape().getShape())) {
            throw new CheckpointException("the optimizer state lacks a matching moment for " + name
                    + "; the resume checkpoint is corrupt or from another model; start without --resume");
        }
        NDArray restored = DjlEngine.ownedFloats(manager, t.toFloats(), current.getShape());
        current.close();
        into.put(name, restored);
    }

    @Override
    public void close() {
        manager.close();
    }
}
