/**
 * How the runtime finds a model registry implementation ({@link dev.keel.spi.registry.ModelRegistryProvider}
 * by ServiceLoader) and where the default registry lives, so that no engine-free module depends on JDBC.
 */
package dev.keel.spi.registry;
