package dev.keel.spi.tck;

import dev.keel.api.Capability;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.BackendProvider;

/** What every part of the compatibility kit needs: the provider under test. */
public interface KitBase {
    /** A fresh provider, constructed the way ServiceLoader constructs it. */
    BackendProvider provider();

    default boolean supports(Capability capability, ModelFamily family) {
        return provider().capabilities().supports(capability, family);
    }
}
