package dev.keel.onnx.internal;

import dev.keel.spi.BackendProvider;
import dev.keel.spi.tck.BackendCompatibilityKit;

class OnnxCompatibilityTest extends BackendCompatibilityKit {
    @Override
    public BackendProvider provider() {
        return new OnnxBackendProvider();
    }
}
