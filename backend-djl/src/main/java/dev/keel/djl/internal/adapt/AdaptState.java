package dev.keel.djl.internal.adapt;

import ai.djl.ndarray.NDArray;
import dev.keel.adapters.AdaptRun;
import dev.keel.api.CheckpointException;
import dev.keel.djl.internal.gpt2.AdamW;
import dev.keel.djl.internal.gpt2.Gpt2Model;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.train.TrainingStop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saves and restores what a DJL fine-tuning run needs to continue after a stop ({@link AdaptRun}): the arrays it
 * trains, AdamW's moments and step, and the loop's own state. Frozen weights are not saved: they come from the
 * base again.
 */
public final class AdaptState {
    static final String TRAINABLE = "trainable";
    static final String OPTIMIZER = "optimizer";

    private AdaptState() { }

    /** Saves a resume state at {@code state.get("step")}. */
    public static void save(AdaptRun run, TrainingStop stop, Map<String, NDArray> trainable, AdamW optimizer,
            Map<String, Object> state, Map<String, List<Tensor>> more) {
        Map<String, List<Tensor>> files = new LinkedHashMap<>(more);
        files.put(TRAINABLE, tensors(trainable));
        files.put(OPTIMIZER, optimizer.stateTensors());
        run.saveResume(stop, state, files);
    }

    /** Loads the saved trainable arrays and moments of a stopped run into this one; returns its step. */
    public static int restore(AdaptRun run, Map<String, NDArray> trainable, AdamW optimizer) {
        int step = run.resumedStep();
        load(trainable, run.resumedTensors(TRAINABLE));
        optimizer.restore(run.resumedTensors(OPTIMIZER), step);
        return step;
    }

    public static List<Tensor> tensors(Map<String, NDArray> arrays) {
        List<Tensor> out = new ArrayList<>(arrays.size());
        arrays.forEach((name, a) -> out.add(Gpt2Model.toTensor(name, a)));
        return out;
    }

    /** Copies saved values into the arrays of the same names and shapes. */
    public static void load(Map<String, NDArray> arrays, Map<String, Tensor> saved) {
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            Tensor t = saved.get(e.getKey());
            if (t == null || !Arrays.equals(t.shape(), e.getValue().getShape().getShape())) {
                throw new CheckpointException("the saved adaptation state has no matching " + e.getKey()
                        + "; delete the .partial folder next to the output folder to start over");
            }
            // in place through an index assignment of an engine-owned copy: NDArray.set(float[]) goes through
            // torchSet, which enters PyTorch's deprecated AutoNonVariableTypeMode and prints a warning
            NDArray p = e.getValue();
            try (ai.djl.ndarray.NDManager scratch = p.getManager().newSubManager()) {
                p.set(new ai.djl.ndarray.index.NDIndex("..."), dev.keel.djl.internal.DjlEngine.ownedFloats(scratch,
                        t.toFloats(), p.getShape()));
            }
        }
    }

    /** A number the loop saved, or {@code fallback}. */
    public static double number(Map<String, Object> state, String key, double fallback) {
        return state.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }
}
