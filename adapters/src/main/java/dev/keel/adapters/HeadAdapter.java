package dev.keel.adapters;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.api.train.TrainingStoppedException;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.train.TrainingStop;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code head} method over any backend: embeds the training (and dev) texts once with the base's
 * {@link InferenceSession#embed} (mean pooling, not normalised), trains a {@link ClassifierHead} in Java on
 * those frozen features, and writes a head folder ({@link AdaptedModels}). The backend only has to embed,
 * so ONNX Runtime, which cannot train, serves as the feature extractor as well as any training engine.
 * It reads the spec's class weights, patience, head width and train subset; it trains whole epochs at a
 * constant rate ({@code training.maxSteps()}, when set, is rounded up to whole epochs).
 */
public final class HeadAdapter implements Adapter {
    private final Function<ModelRef, InferenceSession> opener;
    private final String backendName;

    /**
     * @param opener      opens the base on the chosen backend
     * @param backendName recorded in keel.json
     */
    public HeadAdapter(Function<ModelRef, InferenceSession> opener, String backendName) {
        this.opener = opener;
        this.backendName = backendName;
    }

    @Override
    public TrainingResult adapt(AdaptationSpec spec, TrainingListener listener) {
        if (spec.method() != AdaptationMethod.HEAD) {
            throw new InvalidInputException("the Java head adapter trains --method head only, not "
                    + spec.method().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (spec.task() != AdaptationTask.CLASSIFY) {
            throw new UnsupportedCapabilityException("a head is a classifier: use --task classify, or --method "
                    + "full/lora on a gpt2 model for " + spec.task().name().toLowerCase(java.util.Locale.ROOT));
        }
        long started = System.nanoTime();
        try (AdaptRun run = AdaptRun.open(spec, "head on " + backendName)) {
            return adapt(spec, listener, run, started);
        }
    }

    private TrainingResult adapt(AdaptationSpec spec, TrainingListener listener, AdaptRun run, long started) {
        ClassificationData train = ClassificationData.readTraining(spec.train(), spec.labelNames())
                .subset(spec.trainLimit(), spec.training().seed());
        ClassificationData devData = spec.dev() == null ? null : ClassificationData.read(spec.dev(), train.classes());
        TrainingStop stop = new TrainingStop(listener);
        try (InferenceSession base = opener.apply(spec.base())) {
            ModelConfig config = base.info().config();
            Features features = new Features(run, stop, train.size() + (devData == null ? 0 : devData.size()));
            float[][] x = features.embed(base, train.texts(), spec.maxLength(), "train", listener);
            float[][] devX = devData == null ? null
                    : features.embed(base, devData.texts(), spec.maxLength(), "dev", listener);
            if (stop.requested()) {
                throw features.saveAndStop();
            }
            float[] weights = ClassWeights.of(spec.classWeights(), train.counts());
            int stepsPerEpoch = (x.length + spec.training().batchSize() - 1) / spec.training().batchSize();
            int epochs = epochs(spec.training(), stepsPerEpoch);
            ClassifierHead init = spec.warmStart() == null ? null : ClassifierHead.fromTensors(Safetensors.read(
                    AdaptedModels.requireWarmStart(spec.warmStart(), AdaptedModels.Kind.HEAD, train.classes())
                            .resolve(AdaptedModels.HEAD_WEIGHTS)).tensors());
            HeadTrainer.Options headOptions = new HeadTrainer.Options(epochs, spec.training().batchSize(),
                    spec.training().learningRate(), spec.training().weightDecay(), spec.headHidden(),
                    spec.patience(), weights, spec.training().seed(), train.weights(), init);
            long baseParams = parameterCount(config);
            listener.onEvent(new TrainingEvent.Started("head", 0, epochs * stepsPerEpoch, baseParams, -1));
            HeadTrainer.Result r = HeadTrainer.train(x, train.labels(), train.classes().size(), devX,
                    devData == null ? null : devData.labels(), headOptions, e -> listener.onEvent(new TrainingEvent.Evaluation(
                            e.epoch() * stepsPerEpoch, e.trainLoss(), e.dev() == null ? Double.NaN : e.dev().loss(),
                            e.dev() == null ? Map.of() : e.dev().toMap("dev_"))));
            long headParams = r.head().parameterCount();
            Map<String, Double> metrics = new LinkedHashMap<>();
            if (r.dev() != null) {
                metrics.putAll(r.dev().toMap("dev_"));
            }
            metrics.put("best_epoch", (double) r.bestEpoch());
            Map<String, Object> training = new LinkedHashMap<>();
            training.put("epochs_run", r.history().size());
            training.put("best_epoch", r.bestEpoch());
            training.put("learning_rate", headOptions.learningRate());
            training.put("batch_size", headOptions.batchSize());
            training.put("hidden", spec.headHidden());
            training.put("class_weights", toList(weights));
            training.put("feature_backend", base.info().backend());
            training.put("train_examples", train.size());
            training.put("sample_weights", train.weights() != null);
            if (spec.warmStart() != null) {
                training.put("warm_start", spec.warmStart().toString());
            }
            Map<String, String> data = new LinkedHashMap<>();
            data.put("train", CorpusTokenizer.fingerprint(TextCorpus.of(spec.train())));
            if (spec.dev() != null) {
                data.put("dev", CorpusTokenizer.fingerprint(TextCorpus.of(spec.dev())));
            }
            KeelMetadata meta = KeelMetadata.create(backendName, "head")
                    .withBase(AdaptedModels.baseReference(spec.base()), "classify", List.of(AdaptedModels.baseReference(spec.base())))
                    .withTraining(training).withData(data).withMetrics(metrics)
                    .withVersion("head-" + Long.toHexString(System.currentTimeMillis()));
            AdaptedModels.writeHeadFolder(run.dir(), config, train.classes(), spec.maxLength(), r.head(), meta);
            Path out = run.publish();
            double trainLoss = r.history().get(r.bestEpoch() - 1).trainLoss();
            double devLoss = r.dev() == null ? Double.NaN : r.dev().loss();
            double wall = (System.nanoTime() - started) / 1e9;
            TrainingResult result = new TrainingResult(r.history().size() * stepsPerEpoch, trainLoss, devLoss,
                    devLoss, baseParams + headParams, headParams, 0, 0, wall, out, metrics);
            listener.onEvent(new TrainingEvent.Finished(result));
            return result;
        }
    }

    /**
     * The frozen features of a head run, which are most of its cost: embedded chunk by chunk, and on a stop saved
     * with the run, so the next run embeds only what is left (the head itself trains again, in seconds).
     */
    private static final class Features {
        private static final int CHUNK = 256;
        private final AdaptRun run;
        private final TrainingStop stop;
        private final int total;
        private final Map<String, float[][]> splits = new LinkedHashMap<>();
        private final Map<String, Integer> done = new LinkedHashMap<>();

        Features(AdaptRun run, TrainingStop stop, int total) {
            this.run = run;
            this.stop = stop;
            this.total = total;
        }

        /** Mean-pooled features, in chunks so progress shows, a stop is noticed, and no engine batch grows huge. */
        float[][] embed(InferenceSession base, List<String> texts, int maxLength, String what,
                TrainingListener listener) {
            float[][] out = new float[texts.size()][];
            splits.put(what, out);
            int start = resumed(what, out);
            done.put(what, start);
            long t0 = System.nanoTime();
            for (; start < texts.size(); start += CHUNK) {
                if (stop.requested()) {
                    throw saveAndStop();
                }
                int end = Math.min(texts.size(), start + CHUNK);
                float[][] v = base.embed(texts.subList(start, end), new EmbeddingOptions(false, maxLength)).vectors();
                System.arraycopy(v, 0, out, start, v.length);
                done.put(what, end);
                double secs = (System.nanoTime() - t0) / 1e9;
                listener.onEvent(new TrainingEvent.Step(end, texts.size(), Double.NaN, 0, end / Math.max(secs, 1e-9),
                        1000 * secs / Math.max(1, (end + CHUNK - 1) / CHUNK)));
            }
            return out;
        }

        /** Copies the rows a stopped run had embedded into {@code out}; returns how many. */
        private int resumed(String what, float[][] out) {
            if (run.resumed().isEmpty() || !(run.resumed().get().get(what + "_done") instanceof Number n)
                    || n.intValue() == 0) {
                return 0;
            }
            Tensor t = run.resumedTensors("features").get(what);
            int rows = n.intValue();
            int dim = (int) t.shape()[1];
            float[] flat = t.toFloats();
            for (int i = 0; i < rows; i++) {
                out[i] = java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
            }
            return rows;
        }

        TrainingStoppedException saveAndStop() {
            List<Tensor> tensors = new java.util.ArrayList<>();
            Map<String, Object> state = new LinkedHashMap<>();
            int step = 0;
            for (Map.Entry<String, float[][]> e : splits.entrySet()) {
                int rows = done.get(e.getKey());
                step += rows;
                state.put(e.getKey() + "_done", rows);
                if (rows > 0) {
                    int dim = e.getValue()[0].length;
                    float[] flat = new float[rows * dim];
                    for (int i = 0; i < rows; i++) {
                        System.arraycopy(e.getValue()[i], 0, flat, i * dim, dim);
                    }
                    tensors.add(Tensor.ofFloats(e.getKey(), new long[] {rows, dim}, flat));
                }
            }
            state.put("step", step);
            run.saveResume(stop, state, Map.of("features", tensors));
            return run.stopped(stop, step, total);
        }
    }

    /** Whole epochs: {@code epochs}, or {@code maxSteps} rounded up to whole epochs when it is set. */
    static int epochs(TrainingConfig training, int stepsPerEpoch) {
        int steps = training.totalSteps(Math.max(1, stepsPerEpoch));
        return Math.max(1, (steps + Math.max(1, stepsPerEpoch) - 1) / Math.max(1, stepsPerEpoch));
    }

    private static List<Float> toList(float[] w) {
        List<Float> l = new java.util.ArrayList<>();
        for (float v : w) {
            l.add(v);
        }
        return l;
    }

    /** Parameters of a model from its architecture alone (bert: every encoder tensor). */
    public static long parameterCount(ModelConfig config) {
        if (config instanceof BertConfig b) {
            return BertLayout.shapes(b).values().stream().mapToLong(s -> {
                long n = 1;
                for (long d : s) {
                    n *= d;
                }
                return n;
            }).sum();
        }
        if (config instanceof dev.keel.api.model.Gpt2Config g) {
            return g.parameterCount();
        }
        return 0;
    }
}
