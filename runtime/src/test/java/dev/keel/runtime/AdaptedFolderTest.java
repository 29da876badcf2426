package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.adapters.AdaptOptions;
import dev.keel.adapters.HeadAdapter;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.train.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host opening an adapted folder through the runtime gets a classifier on the default (onnx) backend. */
class AdaptedFolderTest {
    @Test
    void a_head_folder_classifies_when_a_host_opens_it_through_the_runtime(@TempDir Path dir) throws IOException {
        Path train = Files.writeString(dir.resolve("train.tsv"), String.join("\n",
                "a wonderful, moving film\t1", "I loved every minute\t1", "brilliant acting and a great story\t1",
                "a delight from start to finish\t1", "truly excellent\t1", "awful, boring and far too long\t0",
                "I hated it\t0", "a dull mess with terrible acting\t0", "a waste of time\t0", "painfully bad\t0") + "\n");
        Path out = dir.resolve("head");
        KeelRuntime keel = KeelRuntime.builder().build();
        new HeadAdapter(keel::open, "onnx", AdaptOptions.defaults()).adapt(AdaptationSpec.builder()
                .base(ModelRef.parse("builtin:all-minilm-l6-v2")).method(AdaptationMethod.HEAD)
                .task(AdaptationTask.CLASSIFY).train(train).outputDir(out)
                .training(TrainingConfig.builder().maxSteps(0).epochs(40).batchSize(4).learningRate(1e-2)
                        .minLearningRate(0).warmupSteps(0).build())
                .build());

        try (InferenceSession session = keel.open(ModelRef.of(out))) {
            ClassificationResult r = session.classify(List.of("a great, moving story", "boring and terrible"));
            assertThat(r.predictions()).extracting(p -> p.label()).containsExactly("1", "0");
        }
    }
}
