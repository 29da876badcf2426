package dev.keel.api.iterate;

/**
 * Hears about registry events, in sequence order, on a thread of the registry's own. A listener that throws
 * or is slow never affects the registry or other listeners' order; its exception is counted and dropped.
 */
@FunctionalInterface
public interface RegistryListener {
    void onEvent(RegistryEvent event);
}
