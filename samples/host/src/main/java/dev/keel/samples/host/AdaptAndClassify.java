package dev.keel.samples.host;

import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingConfig;
import dev.keel.runtime.Keel;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.util.List;

/**
 * Stage 2: fine-tunes the builtin MiniLM into a sentiment classifier with each method (a head on frozen features,
 * LoRA, full fine-tuning) from a labelled file (one {@code text<TAB>label} per line), then classifies with each.
 */
public final class AdaptAndClassify {
    /** {@code TRAIN.tsv DEV.tsv OUT-FOLDER [EPOCHS]}: one classifier per method under OUT-FOLDER. */
    public static void main(String[] args) {
        int epochs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        for (AdaptationMethod method : AdaptationMethod.values()) {
            Path out = Path.of(args[2], method.name().toLowerCase());
            System.out.println(method + ": " + adapt(method, Path.of(args[0]), Path.of(args[1]), out, epochs));
        }
    }

    public static ClassificationResult adapt(AdaptationMethod method, Path train, Path dev, Path out, int epochs) {
        KeelRuntime keel = Keel.runtime();
        AdaptationSpec spec = AdaptationSpec.builder()
                .base(ModelRef.parse("builtin:all-minilm-l6-v2"))
                .method(method)
                .task(AdaptationTask.CLASSIFY)
                .train(train)
                .dev(dev)
                .training(TrainingConfig.builder().epochs(epochs).batchSize(8).learningRate(1e-3).build())
                .maxLength(64)
                .outputDir(out)
                .build();
        keel.adapter(ModelFamily.BERT).adapt(spec);
        try (InferenceSession classifier = keel.open(out)) {
            return classifier.classify(List.of("a gripping, beautiful film", "dull and far too long"));
        }
    }
}
