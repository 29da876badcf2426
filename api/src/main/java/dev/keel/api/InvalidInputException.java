package dev.keel.api;

/** Bad input from the caller: a missing or malformed file, a wrong shape, an out-of-range setting. */
public class InvalidInputException extends KeelException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
