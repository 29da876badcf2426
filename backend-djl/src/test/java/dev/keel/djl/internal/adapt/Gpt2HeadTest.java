package dev.keel.djl.internal.adapt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.adapters.AdaptedModels;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.djl.internal.gpt2.Gpt2Pretrainer;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --method head} on a gpt2 base: a Java classifier over the frozen, mean-pooled final hidden states. */
class Gpt2HeadTest {
    @TempDir
    Path dir;
    Path base;

    /** A tiny gpt2 pre-trained briefly on text that mixes both alphabets the labelled set uses. */
    @BeforeEach
    void pretrain() throws IOException {
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("tokens").toString());
        StringBuilder text = new StringBuilder();
        Random r = new Random(5);
        for (int i = 0; i < 400; i++) {
            text.append(word(r, i % 2 == 0 ? "abc" : "xyz")).append(i % 7 == 6 ? '\n' : ' ');
        }
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), text);
        PretrainSpec spec = PretrainSpec.builder().architecture(new Gpt2Config(1, 16, 32, 2, 2, 0.0, true, 1e-5))
                .corpus(corpus).outputDir(dir.resolve("base"))
                .training(TrainingConfig.builder().maxSteps(30).batchSize(8).blockSize(16).learningRate(1e-2)
                        .minLearningRate(1e-3).warmupSteps(3).evalInterval(0).evalIters(0).seed(7).build())
                .build();
        base = new Gpt2Pretrainer(Device.cpu()).pretrain(spec).output();
    }

    private static String word(Random r, String alphabet) {
        StringBuilder w = new StringBuilder();
        for (int k = 0; k < 3 + r.nextInt(4); k++) {
            w.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return w.toString();
    }

    /** Texts made of a, b and c are labelled "abc"; texts made of x, y and z are labelled "xyz". */
    private Path labelled(String name, int n, long seed) throws IOException {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String label = r.nextBoolean() ? "abc" : "xyz";
            lines.add(word(r, label) + " " + word(r, label) + "\t" + label);
        }
        return Files.write(dir.resolve(name), lines);
    }

    private AdaptationSpec.Builder spec(AdaptationMethod method, Path out) throws IOException {
        return AdaptationSpec.builder().base(ModelRef.of(base)).method(method).task(AdaptationTask.CLASSIFY)
                .train(labelled("train.tsv", 64, 1)).dev(labelled("dev.tsv", 32, 2)).maxLength(16).outputDir(out)
                .training(TrainingConfig.builder().maxSteps(0).epochs(30).batchSize(8).learningRate(3e-2)
                        .minLearningRate(0).warmupSteps(0).weightDecay(0.0).seed(3).build());
    }

    @Test
    void a_head_on_a_gpt2_base_learns_texts_of_different_characters_and_reopens_as_a_classifier() throws IOException {
        Path out = dir.resolve("head");
        TrainingResult r = new DjlAdapter(Device.cpu()).adapt(spec(AdaptationMethod.HEAD, out).build());

        assertThat(r.metrics().get("dev_accuracy")).isGreaterThanOrEqualTo(0.9);
        KeelMetadata meta = ModelFolder.readMetadata(out);
        assertThat(meta.method()).isEqualTo("head");
        assertThat(meta.base()).isEqualTo(base.toAbsolutePath().toString());
        assertThat(AdaptedModels.kind(out)).isEqualTo(AdaptedModels.Kind.HEAD);
        try (InferenceSession session = new DjlBackendProvider().open(ModelRef.of(out), SessionOptions.defaults())) {
            ClassificationResult c = session.classify(List.of("abcab cba", "zyx xyzzy"));
            assertThat(c.predictions()).extracting(p -> p.label()).containsExactly("abc", "xyz");
        }
    }

    @Test
    void full_and_lora_classifiers_on_a_gpt2_base_are_refused_with_the_way_to_a_head() throws IOException {
        for (AdaptationMethod method : List.of(AdaptationMethod.FULL, AdaptationMethod.LORA)) {
            Path out = dir.resolve(method.name());
            AdaptationSpec spec = spec(method, out).build();
            assertThatThrownBy(() -> new DjlAdapter(Device.cpu()).adapt(spec))
                    .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("--method head");
            assertThat(out).doesNotExist();
        }
    }
}
