package dev.keel.api;

/** No backend, an unknown backend name, or two backends claiming the same name. */
public class BackendNotFoundException extends KeelException {
    public BackendNotFoundException(String message) {
        super(message);
    }
}
