/**
 * The backend compatibility kit (shipped as the SPI test-jar): JUnit 5 checks, grouped by capability in
 * interfaces with default test methods, that {@link dev.keel.spi.tck.BackendCompatibilityKit} combines.
 */
package dev.keel.spi.tck;
