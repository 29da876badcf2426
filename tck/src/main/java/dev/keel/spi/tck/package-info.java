/**
 * The backend compatibility kit, shipped as {@code dev.keel:keel-tck} (a backend's tests depend on it in test
 * scope): JUnit 5 checks, grouped by capability in interfaces with default test methods, that
 * {@link dev.keel.spi.tck.BackendCompatibilityKit} combines. The package keeps its historical name so that
 * kits extended before the artifact existed compile unchanged.
 */
package dev.keel.spi.tck;
