package dev.keel.djl.internal.bert;

import ai.djl.ndarray.NDManager;
import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.Prediction;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.infer.CausalPooling;
import dev.keel.spi.infer.SessionBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A bert model served by DJL: mean-pooled sentence embeddings and, for classifiers, predictions. Opens the
 * three adapted folder kinds: a full checkpoint, a PEFT LoRA folder (merged into its base on load) and a
 * head folder (a Java head over this backend's embeddings). Safe for concurrent calls: the weights are
 * only read, and every call frees its own intermediate arrays.
 */
public final class BertSession extends SessionBase {
    private final BertModel model;
    private final Tokenizer tokenizer;
    private final List<String> labels;
    private final int classifierMaxLength;

    BertSession(BertModel model, Tokenizer tokenizer, ModelInfo info, SessionOptions options, int classifierMaxLength) {
        super(info, options);
        this.model = model;
        this.tokenizer = tokenizer;
        this.labels = model.config().labels();
        this.classifierMaxLength = classifierMaxLength;
    }

    /** Opens a bert folder of any adapted kind. */
    public static InferenceSession open(ModelRef ref, SessionOptions options, ai.djl.Device device) {
        Path folder = ref.path().orElseThrow(() -> new CheckpointException("the djl backend opens bert folders; "
                + ref + " is a builtin ONNX model: serve it with --backend onnx, or import it to a folder first (keel import --model " + ref
                + " --out DIR, or KeelRuntime.portable)"));
        ModelFolder.requireFolder(folder);
        AdaptedModels.Kind kind = AdaptedModels.kind(folder);
        if (kind == AdaptedModels.Kind.HEAD) {
            return AdaptedModels.open(folder, options, (base, o) -> open(base, o, device));
        }
        ModelConfig mc = ModelFolder.readConfig(folder);
        if (!(mc instanceof BertConfig config)) {
            throw new CheckpointException(folder + " holds a " + mc.family() + " model, not bert");
        }
        Map<String, Tensor> tensors;
        if (kind == AdaptedModels.Kind.LORA) {
            tensors = AdaptedModels.mergedWeights(folder);
        } else {
            tensors = ModelFolder.readWeights(folder).tensors();
        }
        Tokenizer tok = ModelFolder.readTokenizer(Files.exists(folder.resolve("tokenizer.json"))
                || kind != AdaptedModels.Kind.LORA ? folder : AdaptedModels.base(folder).path().orElseThrow());
        NDManager manager = DjlEngine.newManager(device);
        BertModel model;
        try {
            model = BertModel.fromTensors(manager, config, tensors);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        Map<String, Object> raw = dev.keel.spi.checkpoint.Json.readObject(folder.resolve(ModelFolder.CONFIG));
        int maxLength = raw.get(AdaptedModels.MAX_LENGTH_KEY) instanceof Number n ? n.intValue() : 128;
        String version = ModelFolder.readMetadata(folder).modelVersion();
        ModelInfo info = new ModelInfo(config, "djl", options.device(), version, folder);
        return new BertSession(model, tok, info, options, maxLength);
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public EmbeddingResult embed(List<String> texts, EmbeddingOptions opts) {
        return call(Operation.EMBED, texts, call -> {
            requireTexts(texts);
            require(opts, "embedding options", "pass EmbeddingOptions.defaults()");
            long t0 = System.nanoTime();
            List<Encoding> enc = tokenizer.encodeBatch(texts, Math.min(opts.maxLength(), model.config().maxPositionEmbeddings()));
            call.tokenized(System.nanoTime() - t0);
            long count = enc.stream().mapToLong(Encoding::length).sum();
            call.event().inputTokens(count);
            float[][] v = BertClassifierTrainer.features(model, enc, tokenizer, options().maxBatchSize());
            if (opts.normalize()) {
                for (float[] row : v) {
                    CausalPooling.normalized(row);
                }
            }
            return new EmbeddingResult(call.id(), v, count);
        });
    }

    @Override
    public ClassificationResult classify(List<String> texts) {
        if (!model.hasClassifier() || labels.isEmpty()) {
            return super.classify(texts); // refused as unsupported, and reported as this call's event
        }
        return call(Operation.CLASSIFY, texts, call -> {
            requireTexts(texts);
            long t0 = System.nanoTime();
            List<Encoding> enc = tokenizer.encodeBatch(texts, Math.min(classifierMaxLength, model.config().maxPositionEmbeddings()));
            call.tokenized(System.nanoTime() - t0);
            call.event().inputTokens(enc.stream().mapToLong(Encoding::length).sum());
            double[][] p = BertClassifierTrainer.probabilities(model, enc, tokenizer, options().maxBatchSize());
            List<Prediction> out = new ArrayList<>(p.length);
            for (double[] row : p) {
                int k = ClassificationMetrics.argmax(row);
                out.add(new Prediction(labels.get(k), k, row[k], row));
            }
            call.event().outputs(out.stream().map(Prediction::label).toList())
                    .confidences(out.stream().map(Prediction::confidence).toList());
            return new ClassificationResult(call.id(), out);
        });
    }

    BertModel model() {
        return model;
    }

    @Override
    protected void release() {
        model.close();
    }

}
