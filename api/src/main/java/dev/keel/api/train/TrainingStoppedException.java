package dev.keel.api.train;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.KeelException;
import java.nio.file.Path;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * A training or adaptation run stopped early because it was asked to ({@link TrainingListener#stopRequested()}
 * or {@link Thread#interrupt()}), at a step boundary, after writing what it needs to continue. The run is not
 * lost: {@link #checkpoint()} names the folder a resumed run continues from ({@code PretrainSpec.resume(true)},
 * {@code keel pretrain --resume}; an adaptation continues when run again with the same spec).
 */
@API(status = STABLE, since = "0.1")
public class TrainingStoppedException extends KeelException {
    private final int step;
    private final int maxSteps;
    private final transient Path checkpoint;

    /**
     * @param step       optimisation steps completed (and saved) when the run stopped
     * @param maxSteps   the steps the run was asked for
     * @param checkpoint where the resumable state is, or null when there is nothing to resume
     */
    public TrainingStoppedException(String message, int step, int maxSteps, Path checkpoint) {
        super(message);
        this.step = step;
        this.maxSteps = maxSteps;
        this.checkpoint = checkpoint;
    }

    /** Steps completed and saved. */
    public int step() {
        return step;
    }

    public int maxSteps() {
        return maxSteps;
    }

    /** The folder holding the resumable state, when the run wrote one. */
    public Optional<Path> checkpoint() {
        return Optional.ofNullable(checkpoint);
    }
}
