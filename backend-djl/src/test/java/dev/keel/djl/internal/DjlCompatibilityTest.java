package dev.keel.djl.internal;

import dev.keel.spi.BackendProvider;
import dev.keel.spi.tck.BackendCompatibilityKit;

class DjlCompatibilityTest extends BackendCompatibilityKit {
    @Override
    public BackendProvider provider() {
        return new DjlBackendProvider();
    }
}
