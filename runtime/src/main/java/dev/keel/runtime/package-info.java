/**
 * Wiring: the plain-Java entry points ({@link dev.keel.runtime.Keel}, {@link dev.keel.runtime.KeelRuntime})
 * and the Guice module that install discovered backends and choose one from configuration.
 */
package dev.keel.runtime;
