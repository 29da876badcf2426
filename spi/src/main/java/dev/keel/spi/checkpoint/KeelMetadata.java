package dev.keel.spi.checkpoint;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Keel's own record of a model folder ({@code keel.json}): which backend made it, its version, what it
 * came from (lineage), how it was trained, fingerprints of its data and its metrics.
 *
 * @param formatVersion   the keel.json layout version
 * @param createdBy       the backend that wrote it
 * @param createdAt       when (ISO-8601)
 * @param modelVersion    a version string for monitoring and the registry
 * @param base            the model it was adapted from, or null
 * @param method          how it was made: pretrain, full, lora, head, import
 * @param task            the task it was adapted for, or null
 * @param lineage         ancestors, nearest first
 * @param training        the training settings and summary
 * @param data            data fingerprints (name to sha-256)
 * @param metrics         quality figures
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record KeelMetadata(int formatVersion, String createdBy, String createdAt, String modelVersion, String base,
        String method, String task, List<String> lineage, Map<String, Object> training, Map<String, String> data,
        Map<String, Double> metrics) {

    public static final int FORMAT_VERSION = 1;

    public KeelMetadata {
        lineage = lineage == null ? List.of() : List.copyOf(lineage);
        training = training == null ? Map.of() : new LinkedHashMap<>(training);
        data = data == null ? Map.of() : new LinkedHashMap<>(data);
        metrics = metrics == null ? Map.of() : new LinkedHashMap<>(metrics);
    }

    public static KeelMetadata create(String backend, String method) {
        return new KeelMetadata(FORMAT_VERSION, backend, Instant.now().toString(), null, null, method, null,
                List.of(), Map.of(), Map.of(), Map.of());
    }

    /** The schedule settings every training run records, under the same keys on every backend. */
    public static Map<String, Object> trainingSettings(dev.keel.api.train.TrainingConfig tc) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_steps", tc.maxSteps());
        m.put("batch_size", tc.batchSize());
        m.put("block_size", tc.blockSize());
        m.put("learning_rate", tc.learningRate());
        m.put("min_learning_rate", tc.minLearningRate());
        m.put("warmup_steps", tc.warmupSteps());
        m.put("weight_decay", tc.weightDecay());
        m.put("grad_clip", tc.gradClip());
        m.put("seed", tc.seed());
        return m;
    }

    public KeelMetadata withVersion(String v) {
        return new KeelMetadata(formatVersion, createdBy, createdAt, v, base, method, task, lineage, training, data,
                metrics);
    }

    public KeelMetadata withBase(String baseRef, String adaptTask, List<String> ancestors) {
        return new KeelMetadata(formatVersion, createdBy, createdAt, modelVersion, baseRef, method, adaptTask,
                ancestors, training, data, metrics);
    }

    public KeelMetadata withTraining(Map<String, Object> t) {
        return new KeelMetadata(formatVersion, createdBy, createdAt, modelVersion, base, method, task, lineage, t,
                data, metrics);
    }

    public KeelMetadata withData(Map<String, String> d) {
        return new KeelMetadata(formatVersion, createdBy, createdAt, modelVersion, base, method, task, lineage,
                training, d, metrics);
    }

    public KeelMetadata withMetrics(Map<String, Double> m) {
        return new KeelMetadata(formatVersion, createdBy, createdAt, modelVersion, base, method, task, lineage,
                training, data, m);
    }
}
