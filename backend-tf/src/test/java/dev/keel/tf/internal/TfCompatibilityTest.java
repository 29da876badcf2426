package dev.keel.tf.internal;

import dev.keel.spi.BackendProvider;
import dev.keel.spi.tck.BackendCompatibilityKit;

class TfCompatibilityTest extends BackendCompatibilityKit {
    @Override
    public BackendProvider provider() {
        return new TfBackendProvider();
    }
}
