package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.model.ModelConfig;
import java.nio.file.Path;
import org.apiguardian.api.API;

/**
 * What an open session serves.
 *
 * @param config   the architecture
 * @param backend  the backend's name
 * @param device   where it runs
 * @param version  the model version (from {@code keel.json}, or a content fingerprint); {@code unversioned}
 *                 when given as null
 * @param location the folder, or {@code null} for a class-path model
 */
@API(status = STABLE, since = "0.1")
public record ModelInfo(ModelConfig config, String backend, Device device, String version, Path location) {
    /**
     * @throws InvalidInputException when the config, the backend or the device is null
     */
    public ModelInfo {
        if (config == null || backend == null || device == null) {
            throw new InvalidInputException("ModelInfo needs config, backend and device; got "
                    + (config == null ? "config " : "") + (backend == null ? "backend " : "")
                    + (device == null ? "device " : "") + "null");
        }
        version = version == null ? "unversioned" : version;
    }
}
