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
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.data.CorpusTokenizer;
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
        AdaptedModels.requireFreshOutput(spec.outputDir());
        ClassificationData train = ClassificationData.readTraining(spec.train(), spec.labelNames())
                .subset(spec.trainLimit(), spec.training().seed());
        ClassificationData devData = spec.dev() == null ? null : ClassificationData.read(spec.dev(), train.classes());
        try (InferenceSession base = opener.apply(spec.base())) {
            ModelConfig config = base.info().config();
            float[][] x = embed(base, train.texts(), spec.maxLength(), "train", listener);
            float[][] devX = devData == null ? null : embed(base, devData.texts(), spec.maxLength(), "dev", listener);
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
            AdaptedModels.writeHeadFolder(spec.outputDir(), config, train.classes(), spec.maxLength(), r.head(), meta);
            double trainLoss = r.history().get(r.bestEpoch() - 1).trainLoss();
            double devLoss = r.dev() == null ? Double.NaN : r.dev().loss();
            double wall = (System.nanoTime() - started) / 1e9;
            TrainingResult result = new TrainingResult(r.history().size() * stepsPerEpoch, trainLoss, devLoss,
                    devLoss, baseParams + headParams, headParams, 0, 0, wall, spec.outputDir(), metrics);
            listener.onEvent(new TrainingEvent.Finished(result));
            return result;
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

    /** Mean-pooled features, in chunks so progress shows and no engine batch grows huge. */
    static float[][] embed(InferenceSession base, List<String> texts, int maxLength, String what,
            TrainingListener listener) {
        float[][] out = new float[texts.size()][];
        int chunk = 256;
        long t0 = System.nanoTime();
        for (int start = 0; start < texts.size(); start += chunk) {
            int end = Math.min(texts.size(), start + chunk);
            float[][] v = base.embed(texts.subList(start, end), new EmbeddingOptions(false, maxLength)).vectors();
            System.arraycopy(v, 0, out, start, v.length);
            double secs = (System.nanoTime() - t0) / 1e9;
            listener.onEvent(new TrainingEvent.Step(end, texts.size(), Double.NaN, 0, end / Math.max(secs, 1e-9),
                    1000 * secs / Math.max(1, (end + chunk - 1) / chunk)));
        }
        return out;
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
