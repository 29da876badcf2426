package dev.keel.api.iterate;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/**
 * Hears about registry events, in sequence order, on a thread of the registry's own. A listener that throws
 * or is slow never affects the registry or other listeners' order; its exception is counted and dropped.
 */
@API(status = EXPERIMENTAL, since = "0.1")
@FunctionalInterface
public interface RegistryListener {
    void onEvent(RegistryEvent event);
}
