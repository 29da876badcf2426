package dev.keel.spark;

import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.runtime.KeelRuntime;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which model an executor opens and how: the model reference ({@code builtin:NAME} or a folder every
 * executor can read: a shared filesystem path, or a folder shipped with {@code spark.files} /
 * {@code --archives} and named by its local name), the backend (null: the selection rule of
 * {@link KeelRuntime}), the device, the engine batch and the intra-op threads. Equal specs share one open
 * session per executor JVM ({@link ExecutorModels}).
 *
 * @param model        {@code builtin:NAME} or a model folder path as the executors see it
 * @param backend      backend name, or null for {@code keel.backend}, {@code KEEL_BACKEND}, then the best
 * @param device       {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param maxBatchSize the largest batch one engine call takes
 * @param threads      intra-op threads per session (0 lets the engine decide)
 */
public record ModelSpec(String model, String backend, String device, int maxBatchSize, int threads)
        implements Serializable {

    public ModelSpec {
        ModelRef.parse(model); // fails on an empty reference
        Device.parse(device);
        if (maxBatchSize <= 0 || threads < 0) {
            throw new InvalidInputException("model spec for " + model + ": batch size must be positive and threads "
                    + ">= 0; got " + maxBatchSize + " and " + threads);
        }
    }

    /** A model with the defaults: the selected backend, CPU, engine batches of 32, engine-chosen threads. */
    public static ModelSpec of(String model) {
        return new ModelSpec(model, null, "cpu", 32, 0);
    }

    public ModelSpec withBackend(String name) {
        return new ModelSpec(model, name, device, maxBatchSize, threads);
    }

    public ModelSpec withDevice(String name) {
        return new ModelSpec(model, backend, name, maxBatchSize, threads);
    }

    public ModelSpec withMaxBatchSize(int n) {
        return new ModelSpec(model, backend, device, n, threads);
    }

    public ModelSpec withThreads(int n) {
        return new ModelSpec(model, backend, device, maxBatchSize, n);
    }

    public ModelRef ref() {
        return ModelRef.parse(model);
    }

    /**
     * Fails on the driver when the model is a folder the driver can see but cannot use, so a wrong path is
     * reported before any task starts. A folder the driver cannot see at all may still exist on the executors
     * (a cluster path), so that case is left to the executors, which report it at their first task.
     */
    public void checkOnDriver() {
        ModelRef ref = ref();
        if (ref.isBuiltin()) {
            return;
        }
        Path folder = ref.path().orElseThrow();
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new InvalidInputException("model " + folder + " is a file; pass a model folder (config.json, "
                    + "model.safetensors) or builtin:NAME");
        }
        if (Files.isDirectory(folder) && !Files.isReadable(folder.resolve("config.json"))) {
            throw new InvalidInputException("model folder " + folder + " has no readable config.json; pass a folder "
                    + "written by keel pretrain, keel adapt or keel import");
        }
    }

    /** Opens the model in this JVM; what an executor does once per spec. */
    InferenceSession open() {
        KeelRuntime runtime = KeelRuntime.builder().backend(backend).device(Device.parse(device)).build();
        SessionOptions options = SessionOptions.builder().device(Device.parse(device)).maxBatchSize(maxBatchSize)
                .threads(threads).build();
        return runtime.open(ref(), options);
    }
}
