package dev.keel.api;

/** A backend was asked for something it does not do (a stage, a model family or a device). */
public class UnsupportedCapabilityException extends KeelException {
    public UnsupportedCapabilityException(String message) {
        super(message);
    }
}
