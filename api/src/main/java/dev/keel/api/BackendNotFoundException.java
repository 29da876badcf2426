package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** No backend, an unknown backend name, or two backends claiming the same name. */
@API(status = STABLE, since = "0.1")
public class BackendNotFoundException extends KeelException {
    public BackendNotFoundException(String message) {
        super(message);
    }
}
