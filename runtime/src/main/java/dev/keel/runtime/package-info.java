/**
 * Wiring: the plain-Java entry points ({@link dev.keel.runtime.Keel}, {@link dev.keel.runtime.KeelRuntime})
 * and the Guice module that install discovered backends and choose one from configuration.
 *
 * <p>Depend on {@code dev.keel:keel-runtime} plus at least one backend at run time, import
 * {@code dev.keel.runtime.Keel} (or {@code KeelRuntime}) and the API types from {@code dev.keel.api}; the README's
 * "Quick start for a host application" has a complete {@code pom.xml} and one complete program per stage, and
 * {@code docs/api.md} the API's promises (both in the Keel repository).
 */
package dev.keel.runtime;
