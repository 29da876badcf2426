package dev.keel.api;

/**
 * The root of every exception Keel throws. Unchecked, so host code handles only what it can act on.
 * Messages follow one rule: what was found, what was expected, and what to do about it.
 */
public class KeelException extends RuntimeException {
    public KeelException(String message) {
        super(message);
    }

    public KeelException(String message, Throwable cause) {
        super(message, cause);
    }
}
