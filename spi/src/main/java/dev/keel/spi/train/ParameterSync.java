package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.List;
import org.apiguardian.api.API;

/**
 * The hook through which one worker of a data-parallel run keeps its trainable parameters in step with the
 * other workers (parameter averaging, "local SGD"): the trainer calls it after every optimisation step, and the
 * hook decides when to exchange. Engine-neutral: parameters are read and written as float arrays, so the same
 * hook serves every engine's training loop, and the transport (Spark's barrier {@code allGather}, anything
 * else) stays out of the trainer.
 *
 * <p>What a trainer promises: every worker takes the same number of steps (equal shards, the same schedule);
 * the hook is called after each step, before any dev evaluation of that step; and the trainer follows
 * {@link #stop} instead of its own early-stopping decision, so that all workers leave the loop together.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ParameterSync {
    /**
     * Called after every optimisation step.
     *
     * @param step       steps taken so far, from 1
     * @param totalSteps steps the run takes unless it stops early
     * @param evaluating whether the trainer evaluates dev data right after this step (and may keep these weights
     *                   or stop): the hook must leave the parameters equal on all workers then, and at the last step
     * @param parameters the trainable parameters; read and written only when the hook exchanges them
     */
    void afterStep(int step, int totalSteps, boolean evaluating, Parameters parameters);

    /**
     * The early-stopping decision every worker follows, given this worker's own (all workers call it at the same
     * steps). The default keeps the local decision, which suffices when the workers' evaluations cannot differ.
     */
    default boolean stop(boolean local) {
        return local;
    }

    /** A worker's trainable parameters in a fixed order, the same on every worker. */
    interface Parameters {
        /** The parameters' names (checkpoint names), in the order of {@link #read} and {@link #write}. */
        List<String> names();

        /** Copies of the current values, one array per parameter. */
        List<float[]> read();

        /** Replaces every parameter's values (same order and lengths as {@link #read}). */
        void write(List<float[]> values);
    }
}
