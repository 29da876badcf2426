package dev.keel.djl.internal.bert;

import dev.keel.djl.internal.DjlEngine;
import ai.djl.ndarray.NDManager;
import dev.keel.adapters.AdaptRun;
import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.ClassWeights;
import dev.keel.adapters.ClassificationData;
import dev.keel.adapters.Labels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.CheckpointException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.tokenize.Tokenizers;
import dev.keel.spi.train.DataParallel;
import dev.keel.spi.train.Schedules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code full} or {@code lora} classification run on a bert folder: reads the data (the training file
 * defines the labels), loads the base, adds a classifier (and adapters), trains, and writes the adapted
 * folder with keel.json last. A LoRA run writes only PEFT's adapter files next to config.json; the base
 * stays where it is and is named in both metadata files.
 */
public final class BertFineTuning {
    private BertFineTuning() { }

    public static TrainingResult run(AdaptationSpec spec, ai.djl.Device device,
            TrainingListener listener) {
        return run(spec, device, listener, null);
    }

    /**
     * One run, or one worker's shard of a data-parallel run when {@code shard} is given: the labels and class
     * weights then come from all shards, and the shard's hook sees the parameters after every step.
     */
    public static TrainingResult run(AdaptationSpec spec, ai.djl.Device device, TrainingListener listener,
            DataParallel shard) {
        long started = System.nanoTime();
        Path baseDir = spec.base().path().orElseThrow(() -> new CheckpointException("the djl backend fine-tunes "
                + "bert folders; " + spec.base() + " is a builtin ONNX model: import it to a folder first (keel import --model " + spec.base()
                + " --out DIR, or adapt through KeelRuntime.adapter, which imports it), or use "
                + "--method head, which trains over any backend's embeddings"));
        try (AdaptRun run = AdaptRun.open(spec, "djl")) {
            return run(spec, device, listener, shard, run, baseDir, started);
        }
    }

    private static TrainingResult run(AdaptationSpec spec, ai.djl.Device device, TrainingListener listener,
            DataParallel shard, AdaptRun run, Path baseDir, long started) {
        ModelConfig mc = ModelFolder.readConfig(baseDir);
        if (!(mc instanceof BertConfig config)) {
            throw new CheckpointException(baseDir + " holds a " + mc.family() + " model; classification needs bert");
        }
        ClassificationData train = (shard == null ? ClassificationData.readTraining(spec.train(), spec.labelNames())
                : ClassificationData.read(spec.train(), Labels.of(shard.labels())))
                .subset(spec.trainLimit(), spec.training().seed());
        ClassificationData dev = spec.dev() == null ? null : ClassificationData.read(spec.dev(), train.classes());
        Tokenizer tokenizer = ModelFolder.readTokenizer(baseDir);
        float[] weights = ClassWeights.of(spec.classWeights(), shard == null ? train.counts() : shard.labelCounts());
        BertConfig base = config.withLabels(List.of());
        // a warm start hands over a LoRA adapter with its classifier, or a full classifier's every weight
        Path warm = spec.warmStart() == null ? null : AdaptedModels.requireWarmStart(spec.warmStart(),
                spec.method() == AdaptationMethod.LORA ? AdaptedModels.Kind.LORA : AdaptedModels.Kind.FULL,
                train.classes());
        Path weightsDir = warm != null && spec.method() == AdaptationMethod.FULL ? warm : baseDir;
        try (NDManager manager = DjlEngine.newManager(device);
                BertModel model = BertModel.fromTensors(manager.newSubManager(), base,
                        ModelFolder.readWeights(weightsDir).tensors())) {
            if (warm != null && spec.method() == AdaptationMethod.LORA) {
                model.loadLora(LoraAdapter.read(warm));
            } else if (warm == null || !model.hasClassifier() || model.classes() != train.classes().size()) {
                if (warm != null) {
                    throw new CheckpointException("the warm start " + warm + " has no classifier for "
                            + train.classes().size() + " labels; train fresh");
                }
                model.newClassifier(train.classes().size(), spec.training().seed());
                if (spec.method() == AdaptationMethod.LORA) {
                    model.addLora(spec.lora(), spec.training().seed());
                }
            }
            // the shared rule: steps from maxSteps, else from epochs; a fixed warmup that does not fit is fitted
            var t = Schedules.resolve(spec.training(), (train.size() + spec.training().batchSize() - 1)
                    / spec.training().batchSize(), "bert " + spec.method().name().toLowerCase(java.util.Locale.ROOT));
            BertClassifierTrainer.Settings settings = new BertClassifierTrainer.Settings(spec.method(), t.epochs(),
                    t.maxSteps(), t.batchSize(), t.learningRate(), spec.warmupFraction(), t.weightDecay(),
                    t.gradClip(), weights, spec.patience(), spec.evalEvery(), spec.maxLength(), t.seed(),
                    t.warmupSteps(), t.beta1(), t.beta2());
            BertClassifierTrainer.Outcome o = BertClassifierTrainer.train(model, tokenizer, train, dev, settings, listener,
                    run, shard == null ? null : shard.sync());

            Map<String, Double> metrics = new LinkedHashMap<>();
            if (o.dev() != null) {
                metrics.putAll(o.dev().toMap("dev_"));
            }
            Map<String, Object> training = new LinkedHashMap<>();
            training.put("steps", o.steps());
            training.put("best_step", o.bestStep());
            training.put("learning_rate", t.learningRate());
            training.put("batch_size", t.batchSize());
            training.put("max_length", spec.maxLength());
            training.put("class_weights", toList(weights));
            training.put("train_examples", train.size());
            training.put("trainable_params", o.trainableParameters());
            if (spec.method() == AdaptationMethod.LORA) {
                training.put("lora_r", model.loraConfig().rank());
                training.put("lora_alpha", model.loraConfig().alpha());
                training.put("lora_targets", model.loraTargets());
            }
            training.put("sample_weights", train.weights() != null);
            if (warm != null) {
                training.put("warm_start", warm.toString());
            }
            Map<String, String> data = new LinkedHashMap<>();
            data.put("train", CorpusTokenizer.fingerprint(TextCorpus.of(spec.train())));
            if (spec.dev() != null) {
                data.put("dev", CorpusTokenizer.fingerprint(TextCorpus.of(spec.dev())));
            }
            String method = spec.method().name().toLowerCase(java.util.Locale.ROOT);
            String baseRef = AdaptedModels.baseReference(spec.base());
            KeelMetadata meta = KeelMetadata.create("djl", method)
                    .withBase(baseRef, "classify", lineage(baseDir, baseRef))
                    .withTraining(training).withData(data).withMetrics(metrics)
                    .withVersion(method + "-" + Long.toHexString(System.currentTimeMillis()));
            write(run.dir(), spec, model, train, tokenizer, baseRef, meta);
            Path out = run.publish();
            double wall = (System.nanoTime() - started) / 1e9;
            TrainingResult result = new TrainingResult(o.steps(), o.trainLoss(),
                    o.dev() == null ? Double.NaN : o.dev().loss(), o.dev() == null ? Double.NaN : o.dev().loss(),
                    o.totalParameters(), o.trainableParameters(), o.tokensPerSecond(), o.msPerStep(), wall,
                    out, metrics);
            listener.onEvent(new TrainingEvent.Finished(result));
            return result;
        }
    }

    private static List<String> lineage(Path baseDir, String baseRef) {
        List<String> l = new ArrayList<>();
        l.add(baseRef);
        l.addAll(ModelFolder.readMetadata(baseDir).lineage());
        return l;
    }

    private static void write(Path out, AdaptationSpec spec, BertModel model, ClassificationData train,
            Tokenizer tokenizer, String baseRef, KeelMetadata meta) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new CheckpointException("cannot create " + out + ": " + e.getMessage(), e);
        }
        Map<String, Object> config = AdaptedModels.classifierConfig(model.config(), train.classes(), spec.maxLength());
        AtomicFiles.writeString(out.resolve(ModelFolder.CONFIG), Json.pretty(config) + "\n");
        if (spec.method() == AdaptationMethod.LORA) {
            Map<String, Object> peft = LoraAdapter.peftConfig(model.loraConfig(), baseRef, "SEQ_CLS", model.loraTargets(),
                    false, List.of("classifier"));
            new LoraAdapter(peft, model.peftTensors()).write(out);
        } else {
            List<Tensor> tensors = new ArrayList<>(model.encoderTensors(BertModel.SEQ_CLS_PREFIX));
            tensors.addAll(model.classifierTensors());
            Safetensors.write(out.resolve(ModelFolder.WEIGHTS), tensors, Map.of("format", "pt"));
        }
        Tokenizers.save(tokenizer, out);
        ModelFolder.writeMetadata(out, meta);
    }

    private static List<Float> toList(float[] w) {
        List<Float> l = new ArrayList<>();
        for (float v : w) {
            l.add(v);
        }
        return l;
    }
}
