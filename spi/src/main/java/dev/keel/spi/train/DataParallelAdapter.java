package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import org.apiguardian.api.API;

/**
 * An {@link Adapter} that can also train one shard of a data-parallel run: the same training loop, with a
 * {@link DataParallel} whose hook it calls after every step. {@code keel-spark} runs one such worker per
 * barrier task (each in its own JVM, since an engine's autograd state may be process-wide) and averages the
 * workers' parameters through Spark.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface DataParallelAdapter extends Adapter {
    /**
     * Runs {@code spec} on this worker's shard ({@code spec.train()}), as {@link #adapt(AdaptationSpec,
     * TrainingListener)} would, with the run-wide labels and weights of {@code shard} and its hook.
     *
     * @throws dev.keel.api.UnsupportedCapabilityException when this adapter trains the spec's method, task or
     *         family only on one machine (the message names what does distribute)
     */
    TrainingResult adapt(AdaptationSpec spec, TrainingListener listener, DataParallel shard);
}
