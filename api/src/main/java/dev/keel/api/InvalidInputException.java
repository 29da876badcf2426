package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** Bad input from the caller: a missing or malformed file, a wrong shape, an out-of-range setting. */
@API(status = STABLE, since = "0.1")
public class InvalidInputException extends KeelException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
