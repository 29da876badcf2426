/**
 * The service provider interface: what a backend implements ({@link dev.keel.spi.BackendProvider}), how
 * backends are discovered and chosen ({@link dev.keel.spi.Backends}), and the engine-neutral pieces every
 * backend shares (checkpoint files, tokenizers, data readers).
 */
package dev.keel.spi;
