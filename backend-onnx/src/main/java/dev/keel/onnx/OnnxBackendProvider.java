package dev.keel.onnx;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.Availability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Capabilities;

/**
 * ONNX Runtime Java, used directly with one shared environment: serves models; cannot train (the Maven
 * Central build of ONNX Runtime has no training). Construction loads nothing.
 */
public final class OnnxBackendProvider implements BackendProvider {
    public static final String NAME = "onnx";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public Capabilities capabilities() {
        return Capabilities.builder()
                .stage(Capability.INFER, ModelFamily.BERT)
                .devices(Device.Kind.CPU, Device.Kind.GPU)
                .formats("onnx")
                .build();
    }

    @Override
    public Availability availability() {
        return Availability.ifClassesPresent(getClass().getClassLoader(),
                "add com.microsoft.onnxruntime:onnxruntime to the class path", "ai.onnxruntime.OrtEnvironment");
    }
}
