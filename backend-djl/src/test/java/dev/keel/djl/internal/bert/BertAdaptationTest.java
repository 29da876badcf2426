package dev.keel.djl.internal.bert;

import dev.keel.djl.internal.DjlEngine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.LoraAdapter;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.djl.internal.adapt.DjlAdapter;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertAdaptationTest {
    @TempDir
    Path dir;
    Path base;
    Path train;
    Path devFile;

    @BeforeEach
    void data() throws IOException {
        base = TinyBert.write(dir.resolve("base"), 7);
        train = TinyBert.toySentiment(dir.resolve("train.tsv"), 160, 1, 0.5);
        devFile = TinyBert.toySentiment(dir.resolve("dev.tsv"), 40, 2, 0.5);
    }

    private AdaptationSpec spec(AdaptationMethod method, String out, double lr, int epochs) {
        return AdaptationSpec.builder().base(ModelRef.of(base)).method(method).train(train).dev(devFile)
                .training(TrainingConfig.builder().maxSteps(0).epochs(epochs).batchSize(16).learningRate(lr)
                        .minLearningRate(0).warmupSteps(0).weightDecay(0.01).build())
                .maxLength(32).outputDir(dir.resolve(out)).patience(0).build();
    }

    private static Adapter adapter() {
        return new DjlBackendProvider().adapter(dev.keel.api.Device.cpu());
    }

    @Test
    void lora_learns_the_toy_task_and_leaves_the_base_weights_bit_identical() throws IOException {
        byte[] before = Files.readAllBytes(base.resolve(ModelFolder.WEIGHTS));
        TrainingResult r = adapter().adapt(spec(AdaptationMethod.LORA, "lora", 2e-2, 10));

        assertThat(r.metrics().get("dev_accuracy")).isGreaterThanOrEqualTo(0.85);
        assertThat(r.trainableParameters()).isLessThan(r.parameters() / 5);
        assertThat(Files.readAllBytes(base.resolve(ModelFolder.WEIGHTS))).isEqualTo(before);
        Path out = dir.resolve("lora");
        assertThat(Files.exists(out.resolve(LoraAdapter.CONFIG))).isTrue();
        assertThat(Files.exists(out.resolve(ModelFolder.WEIGHTS))).isFalse(); // adapters saved alone
        KeelMetadata meta = ModelFolder.readMetadata(out);
        assertThat(meta.method()).isEqualTo("lora");
        assertThat(meta.base()).isEqualTo(base.toAbsolutePath().toString());
        // r 8 on query and value of 2 layers of width 32: 2 * 2 * (8*32 + 32*8), plus the classifier 2*32 + 2
        assertThat(r.trainableParameters()).isEqualTo(2 * 2 * (8 * 32 + 32 * 8) + 2 * 32 + 2);
    }

    @Test
    void frozen_weights_inside_the_model_stay_bit_identical_after_lora_training() throws IOException {
        Map<String, Tensor> original = ModelFolder.readWeights(base).tensors();
        var cls = dev.keel.adapters.ClassificationData.readTraining(train);
        try (var m = dev.keel.djl.internal.DjlEngine.newManager(ai.djl.Device.cpu());
                BertModel model = BertModel.fromTensors(m.newSubManager(), TinyBert.config(), original)) {
            model.newClassifier(2, 1);
            model.addLora(dev.keel.api.adapt.LoraConfig.defaults(), 1);
            BertClassifierTrainer.train(model, TinyBert.tokenizer(), cls, null, new BertClassifierTrainer.Settings(
                    AdaptationMethod.LORA, 0, 10, 16, 1e-2, 0.1, 0.01, 1.0, new float[] {1, 1}, 0, 0, 32, 1),
                    e -> { });
            for (Tensor t : model.encoderTensors("")) {
                assertThat(t.data()).as(t.name()).isEqualTo(original.get(t.name()).data());
            }
            assertThat(model.peftTensors().values().stream().filter(t -> t.name().endsWith("lora_B.weight"))
                    .anyMatch(t -> hasNonZero(t.toFloats()))).isTrue();
        }
    }

    @Test
    void fine_tuning_uses_the_adam_betas_of_its_training_config_and_defaults_to_0_9_and_0_999() throws IOException {
        var defaults = new BertClassifierTrainer.Settings(AdaptationMethod.FULL, 0, 4, 16, 1e-2, 0, 0.01, 1.0,
                new float[] {1, 1}, 0, 0, 32, 1);
        assertThat(List.of(defaults.beta1(), defaults.beta2())).containsExactly(0.9, 0.999);
        assertThat(dev.keel.api.adapt.AdaptationSpec.defaultTraining().beta2()).isEqualTo(0.999);
        float[] usual = classifierAfter(defaults);
        float[] again = classifierAfter(defaults);
        float[] other = classifierAfter(new BertClassifierTrainer.Settings(AdaptationMethod.FULL, 0, 4, 16, 1e-2, 0,
                0.01, 1.0, new float[] {1, 1}, 0, 0, 32, 1, 0, 0.5, 0.5));
        assertThat(again).as("the same betas train the same weights").containsExactly(usual);
        assertThat(other).as("other betas train other weights").isNotEqualTo(usual);
    }

    private float[] classifierAfter(BertClassifierTrainer.Settings settings) {
        var cls = dev.keel.adapters.ClassificationData.readTraining(train);
        try (var m = dev.keel.djl.internal.DjlEngine.newManager(ai.djl.Device.cpu());
                BertModel model = BertModel.fromTensors(m.newSubManager(), TinyBert.config(),
                        ModelFolder.readWeights(base).tensors())) {
            model.newClassifier(2, 1);
            BertClassifierTrainer.train(model, TinyBert.tokenizer(), cls, null, settings, e -> { });
            return model.classifierTensors().get(0).toFloats();
        }
    }

    private static boolean hasNonZero(float[] v) {
        for (float x : v) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }

    @Test
    void a_saved_lora_folder_reopens_with_the_same_predictions_and_merges_into_a_full_folder() {
        TrainingResult r = adapter().adapt(spec(AdaptationMethod.LORA, "lora", 2e-2, 10));
        List<String> texts = List.of("the movie was great", "awful food", "my day was sad");
        DjlBackendProvider djl = new DjlBackendProvider();
        try (InferenceSession lora = djl.open(ModelRef.of(r.output()), SessionOptions.defaults());
                InferenceSession merged = djl.open(ModelRef.of(AdaptedModels.mergeLora(r.output(), dir.resolve("merged"))),
                        SessionOptions.defaults())) {
            ClassificationResult a = lora.classify(texts);
            ClassificationResult b = merged.classify(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(b.predictions().get(i).label()).isEqualTo(a.predictions().get(i).label());
                assertThat(b.predictions().get(i).confidence()).isCloseTo(a.predictions().get(i).confidence(),
                        org.assertj.core.api.Assertions.within(1e-5));
            }
            assertThat(a.predictions().get(0).label()).isEqualTo("positive");
            assertThat(a.predictions().get(1).label()).isEqualTo("negative");
        }
    }

    @Test
    void full_fine_tuning_writes_a_hugging_face_sequence_classification_folder() {
        TrainingResult r = adapter().adapt(spec(AdaptationMethod.FULL, "full", 3e-3, 5));
        assertThat(r.metrics().get("dev_accuracy")).isGreaterThanOrEqualTo(0.9);
        assertThat(r.trainableParameters()).isEqualTo(r.parameters());
        Map<String, Tensor> t = ModelFolder.readWeights(r.output()).tensors();
        assertThat(t).containsKeys("bert.embeddings.word_embeddings.weight", "classifier.weight", "classifier.bias");
        assertThat(ModelFolder.readMetadata(r.output()).method()).isEqualTo("full");
    }

    @Test
    void the_head_method_trains_in_java_over_djl_embeddings_and_serves_through_the_provider() {
        TrainingResult r = adapter().adapt(spec(AdaptationMethod.HEAD, "head", 1e-2, 30));
        assertThat(Files.exists(r.output().resolve(AdaptedModels.HEAD_WEIGHTS))).isTrue();
        assertThat(r.trainableParameters()).isEqualTo(2 * 32 + 2);
        try (InferenceSession s = new DjlBackendProvider().open(ModelRef.of(r.output()), SessionOptions.defaults())) {
            assertThat(s.classify(List.of("good", "bad")).predictions()).hasSize(2);
            assertThat(s.info().config()).isInstanceOf(dev.keel.api.model.BertConfig.class);
        }
    }

    @Test
    void bad_input_fails_before_training_and_leaves_no_output() throws IOException {
        Path badDev = dir.resolve("bad-dev.tsv");
        Files.writeString(badDev, "so so\tneutral\n");
        AdaptationSpec s = AdaptationSpec.builder().base(ModelRef.of(base)).method(AdaptationMethod.LORA)
                .train(train).dev(badDev).maxLength(32).outputDir(dir.resolve("never")).build();
        assertThatThrownBy(() -> adapter().adapt(s)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("neutral");
        assertThat(Files.exists(dir.resolve("never"))).isFalse();
        assertThat(dev.keel.adapters.AdaptRun.staging(dir.resolve("never"))).as("nor a staging folder").doesNotExist();

        Files.createDirectories(dir.resolve("taken"));
        Files.writeString(dir.resolve("taken/keep.txt"), "precious");
        assertThatThrownBy(() -> adapter().adapt(spec(AdaptationMethod.FULL, "taken", 1e-3, 1)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not empty");
        assertThat(Files.readString(dir.resolve("taken/keep.txt"))).isEqualTo("precious");
    }

    @Test
    void a_lora_run_stopped_midway_continues_when_run_again_and_still_learns_the_task() {
        AdaptationSpec spec = spec(AdaptationMethod.LORA, "stopped", 2e-2, 10);
        int[] steps = {0};
        dev.keel.api.train.TrainingListener stopAtSix = new dev.keel.api.train.TrainingListener() {
            @Override
            public void onEvent(dev.keel.api.train.TrainingEvent event) {
                if (event instanceof dev.keel.api.train.TrainingEvent.Step) {
                    steps[0]++;
                }
            }

            @Override
            public boolean stopRequested() {
                return steps[0] >= 6;
            }
        };
        assertThatThrownBy(() -> adapter().adapt(spec, stopAtSix))
                .isInstanceOf(dev.keel.api.train.TrainingStoppedException.class).hasMessageContaining("step 6 of 100");
        assertThat(dir.resolve("stopped")).doesNotExist();
        List<dev.keel.api.train.TrainingEvent> events = new java.util.ArrayList<>();
        TrainingResult r = adapter().adapt(spec, events::add);
        assertThat(events).filteredOn(dev.keel.api.train.TrainingEvent.Step.class::isInstance).hasSize(94);
        assertThat(r.metrics().get("dev_accuracy")).isGreaterThanOrEqualTo(0.85);
        assertThat(Files.exists(dir.resolve("stopped").resolve(LoraAdapter.CONFIG))).isTrue();
    }
}
