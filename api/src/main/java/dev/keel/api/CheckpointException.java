package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** A model folder or checkpoint file is missing, truncated, corrupt, or of an unexpected layout. */
@API(status = STABLE, since = "0.1")
public class CheckpointException extends KeelException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
