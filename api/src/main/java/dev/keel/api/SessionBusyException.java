package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * An inference session already has as many calls in flight as its {@code SessionOptions.maxQueue()} allows;
 * nothing was computed. Retry later (with back-off), or open the session with a larger queue.
 */
@API(status = STABLE, since = "0.1")
public class SessionBusyException extends KeelException {
    public SessionBusyException(String message) {
        super(message);
    }
}
