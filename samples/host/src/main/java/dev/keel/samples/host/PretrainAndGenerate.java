package dev.keel.samples.host;

import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.runtime.Keel;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;

/** Stage 1: pre-trains a small GPT-2 on any text file (needs a training backend: keel-backend-djl). */
public final class PretrainAndGenerate {
    /** {@code CORPUS.txt OUT-FOLDER [STEPS]}: OUT-FOLDER must be new or empty. */
    public static void main(String[] args) {
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        System.out.println(run(Path.of(args[0]), Path.of(args[1]), steps));
    }

    public static String run(Path corpus, Path model, int steps) {
        KeelRuntime keel = Keel.runtime();
        PretrainSpec spec = PretrainSpec.builder()
                .architecture(Gpt2Config.builder().blockSize(64).embedding(64).layers(2).heads(2).build())
                .corpus(corpus)
                .training(TrainingConfig.builder().maxSteps(steps).batchSize(16).blockSize(64).build())
                .outputDir(model)
                .build();
        TrainingResult result = keel.pretrainer().pretrain(spec);
        System.out.printf("%d steps, validation loss %.3f%n", result.steps(), result.valLoss());
        try (InferenceSession session = keel.open(model)) {
            return session.generate(GenerationRequest.of("ROMEO:", 100)).text();
        }
    }
}
