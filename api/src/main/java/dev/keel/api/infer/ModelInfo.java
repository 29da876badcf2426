package dev.keel.api.infer;

import dev.keel.api.Device;
import dev.keel.api.model.ModelConfig;
import java.nio.file.Path;

/**
 * What an open session serves.
 *
 * @param config   the architecture
 * @param backend  the backend's name
 * @param device   where it runs
 * @param version  the model version (from {@code keel.json}, or a content fingerprint)
 * @param location the folder, or {@code null} for a class-path model
 */
public record ModelInfo(ModelConfig config, String backend, Device device, String version, Path location) { }
