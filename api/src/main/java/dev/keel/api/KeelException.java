package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * The root of every exception Keel throws. Unchecked, so host code handles only what it can act on.
 * Messages follow one rule: what was found, what was expected, and what to do about it.
 */
@API(status = STABLE, since = "0.1")
public class KeelException extends RuntimeException {
    public KeelException(String message) {
        super(message);
    }

    public KeelException(String message, Throwable cause) {
        super(message, cause);
    }
}
