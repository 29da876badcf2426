package dev.keel.api;

/** A model folder or checkpoint file is missing, truncated, corrupt, or of an unexpected layout. */
public class CheckpointException extends KeelException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
