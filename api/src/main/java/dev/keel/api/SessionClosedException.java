package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * A call reached an inference session after {@code close()}. Every backend throws this same type, so a host
 * that reopens models on demand (after a hot reload, say) catches one exception, whatever the engine.
 */
@API(status = STABLE, since = "0.1")
public class SessionClosedException extends KeelException {
    public SessionClosedException(String message) {
        super(message);
    }
}
