package dev.keel.spark.train;

import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.ClassWeighting;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.train.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training worker JVM is asked to do, as the JSON map the task writes into the worker's folder
 * ({@code job.json}): the adaptation settings the driver chose (the same for every worker), and this worker's
 * rank, shard and output. Plain JSON rather than Java serialisation, because the spec's types are not
 * serialisable and the file is worth reading when a worker fails.
 */
final class WorkerJob {
    private WorkerJob() { }

    /** The run-wide part, made on the driver. */
    static Map<String, Object> settings(String base, String backend, String device, AdaptationMethod method,
            TrainingConfig t, LoraConfig lora, int maxLength, int patience, int evalEvery, double warmupFraction,
            ClassWeighting classWeights, List<String> labels, int[] labelCounts, int workers, int syncEvery) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base", base);
        m.put("backend", backend);
        m.put("device", device);
        m.put("method", method.name().toLowerCase(java.util.Locale.ROOT));
        Map<String, Object> tc = new LinkedHashMap<>();
        tc.put("max_steps", t.maxSteps());
        tc.put("epochs", t.epochs());
        tc.put("batch_size", t.batchSize());
        tc.put("learning_rate", t.learningRate());
        tc.put("min_learning_rate", t.minLearningRate());
        tc.put("warmup_steps", t.warmupSteps());
        tc.put("weight_decay", t.weightDecay());
        tc.put("beta1", t.beta1());
        tc.put("beta2", t.beta2());
        tc.put("grad_clip", t.gradClip());
        tc.put("seed", Long.toString(t.seed())); // a string: JSON numbers are doubles, seeds are longs
        m.put("training", tc);
        m.put("lora", Map.of("r", lora.rank(), "alpha", lora.alpha(), "dropout", lora.dropout(),
                "targets", lora.targetModules()));
        m.put("max_length", maxLength);
        m.put("patience", patience);
        m.put("eval_every", evalEvery);
        m.put("warmup_fraction", warmupFraction);
        m.put("class_weights", classWeights.label());
        m.put("labels", labels);
        List<Integer> counts = new ArrayList<>();
        for (int c : labelCounts) {
            counts.add(c);
        }
        m.put("label_counts", counts);
        m.put("workers", workers);
        m.put("sync_every", syncEvery);
        return m;
    }

    /** The settings with one worker's part added. */
    static Map<String, Object> forWorker(Map<String, Object> settings, int rank, Path train, Path dev, Path out) {
        Map<String, Object> m = new LinkedHashMap<>(settings);
        m.put("rank", rank);
        m.put("train", train.toString());
        m.put("dev", dev == null ? null : dev.toString());
        m.put("out", out.toString());
        return m;
    }

    /** The adaptation spec a worker runs, over {@code base} (already made portable). */
    static AdaptationSpec spec(Map<String, Object> job, ModelRef base) {
        Map<String, Object> tc = map(job.get("training"));
        TrainingConfig training = TrainingConfig.builder().maxSteps(integer(tc, "max_steps"))
                .epochs(integer(tc, "epochs")).batchSize(integer(tc, "batch_size"))
                .learningRate(number(tc, "learning_rate")).minLearningRate(number(tc, "min_learning_rate"))
                .warmupSteps(integer(tc, "warmup_steps")).weightDecay(number(tc, "weight_decay"))
                .betas(number(tc, "beta1"), number(tc, "beta2")).gradClip(number(tc, "grad_clip"))
                .seed(Long.parseLong((String) tc.get("seed"))).build();
        Map<String, Object> l = map(job.get("lora"));
        LoraConfig lora = new LoraConfig(integer(l, "r"), number(l, "alpha"), number(l, "dropout"),
                strings(l.get("targets")));
        Object dev = job.get("dev");
        return AdaptationSpec.builder().base(base).method(AdaptationMethod.parse((String) job.get("method")))
                .task(AdaptationTask.CLASSIFY).train(Path.of((String) job.get("train")))
                .dev(dev == null ? null : Path.of((String) dev)).training(training).lora(lora)
                .maxLength(integer(job, "max_length")).outputDir(Path.of((String) job.get("out")))
                .classWeights(ClassWeighting.parse((String) job.get("class_weights")))
                .patience(integer(job, "patience")).evalEvery(integer(job, "eval_every"))
                .warmupFraction(number(job, "warmup_fraction")).build();
    }

    static int integer(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    static double number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        for (Object x : (List<?>) o) {
            out.add(String.valueOf(x));
        }
        return out;
    }

    static int[] ints(Object o) {
        List<?> l = (List<?>) o;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) l.get(i)).intValue();
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
