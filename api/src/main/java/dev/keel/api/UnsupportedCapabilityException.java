package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** A backend was asked for something it does not do (a stage, a model family or a device). */
@API(status = STABLE, since = "0.1")
public class UnsupportedCapabilityException extends KeelException {
    public UnsupportedCapabilityException(String message) {
        super(message);
    }
}
