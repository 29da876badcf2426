package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.HeadAdapter;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host opening an adapted folder through the runtime gets a classifier on the default (onnx) backend, and a
 * head over a gpt2 base gives the same predictions on every backend.
 */
class AdaptedFolderTest {
    @Test
    void a_head_folder_classifies_when_a_host_opens_it_through_the_runtime(@TempDir Path dir) throws IOException {
        Path train = Files.writeString(dir.resolve("train.tsv"), String.join("\n",
                "a wonderful, moving film\t1", "I loved every minute\t1", "brilliant acting and a great story\t1",
                "a delight from start to finish\t1", "truly excellent\t1", "awful, boring and far too long\t0",
                "I hated it\t0", "a dull mess with terrible acting\t0", "a waste of time\t0", "painfully bad\t0") + "\n");
        Path out = dir.resolve("head");
        KeelRuntime keel = KeelRuntime.builder().build();
        new HeadAdapter(keel::open, "onnx").adapt(AdaptationSpec.builder()
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

    @Test
    void a_head_over_a_gpt2_base_classifies_identically_on_djl_onnx_and_tf(@TempDir Path dir) throws IOException {
        System.setProperty(dev.keel.spi.data.CorpusTokenizer.CACHE_PROPERTY, dir.resolve("tokens").toString());
        String text = "abc cab bca acb\nxyz zyx yzx xzy\n".repeat(60);
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), text);
        Path base = KeelRuntime.builder().backend("djl").build().pretrainer().pretrain(PretrainSpec.builder()
                .architecture(new Gpt2Config(1, 16, 32, 2, 2, 0.0, true, 1e-5)).corpus(corpus)
                .outputDir(dir.resolve("base")).training(TrainingConfig.builder().maxSteps(20).batchSize(8)
                        .blockSize(16).learningRate(1e-2).minLearningRate(1e-3).warmupSteps(2).evalInterval(0)
                        .evalIters(0).seed(4).build()).build()).output();
        Path train = Files.writeString(dir.resolve("train.tsv"), String.join("\n", "abc cab\ta", "bca acb\ta",
                "cab cab\ta", "aab bcc\ta", "xyz zyx\tx", "yzx xzy\tx", "zzy xxy\tx", "yyx zzx\tx") + "\n");
        Path out = dir.resolve("head");
        KeelRuntime djl = KeelRuntime.builder().backend("djl").build();
        new HeadAdapter(djl::open, "djl").adapt(AdaptationSpec.builder()
                .base(ModelRef.of(base)).method(AdaptationMethod.HEAD).task(AdaptationTask.CLASSIFY).train(train)
                .outputDir(out).maxLength(16).training(TrainingConfig.builder().maxSteps(0).epochs(40).batchSize(4)
                        .learningRate(3e-2).minLearningRate(0).warmupSteps(0).build())
                .build());
        assertThat(ModelFolder.readMetadata(out).method()).isEqualTo("head");
        assertThat(ModelFolder.readMetadata(out).base()).isEqualTo(base.toAbsolutePath().toString());

        List<String> texts = List.of("acb bac", "zxy yxz", "abcxyz", "c");
        List<Prediction> expected = null;
        for (String backend : List.of("djl", "onnx", "tf")) {
            try (InferenceSession session = KeelRuntime.builder().backend(backend).build().open(ModelRef.of(out))) {
                assertThat(session.info().backend()).isEqualTo(backend);
                List<Prediction> got = session.classify(texts).predictions();
                if (expected == null) {
                    expected = got;
                    assertThat(got).extracting(Prediction::label).startsWith("a", "x");
                    continue;
                }
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(got.get(i).label()).as(backend + " " + texts.get(i)).isEqualTo(expected.get(i).label());
                    for (int k = 0; k < got.get(i).probabilities().length; k++) {
                        assertThat(got.get(i).probabilities()[k]).as(backend + " " + texts.get(i))
                                .isCloseTo(expected.get(i).probabilities()[k], within(1e-4));
                    }
                }
            }
        }
    }
}
