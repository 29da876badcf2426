package dev.keel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.data.Split;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ValueTypesTest {
    @Test
    void devices_parse_as_the_command_line_writes_them() {
        assertThat(Device.parse("cpu")).isEqualTo(Device.cpu());
        assertThat(Device.parse("GPU")).isEqualTo(Device.gpu(0));
        assertThat(Device.parse("gpu:3")).isEqualTo(Device.gpu(3));
        assertThat(Device.gpu(1)).hasToString("gpu:1");
        assertThatThrownBy(() -> Device.parse("tpu")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("expected cpu, gpu or gpu:N");
        assertThatThrownBy(() -> Device.parse("gpu:x")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void model_references_are_folders_or_builtins() {
        assertThat(ModelRef.parse("builtin:all-minilm-l6-v2").builtinName()).contains("all-minilm-l6-v2");
        assertThat(ModelRef.parse("models/x").path()).contains(Path.of("models/x"));
        assertThatThrownBy(() -> ModelRef.parse(" ")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void the_learning_rate_warms_up_linearly_then_decays_by_cosine_to_the_minimum() {
        TrainingConfig c = TrainingConfig.builder().learningRate(1e-3).minLearningRate(1e-4).warmupSteps(100)
                .maxSteps(2000).build();
        assertThat(c.learningRateAt(0)).isCloseTo(1e-3 / 101, within(1e-12));
        assertThat(c.learningRateAt(99)).isCloseTo(1e-3 * 100 / 101, within(1e-12));
        assertThat(c.learningRateAt(100)).isCloseTo(1e-3, within(1e-12));
        assertThat(c.learningRateAt(1050)).isCloseTo(1e-4 + 0.5 * 9e-4, within(1e-9));
        assertThat(c.learningRateAt(2000)).isCloseTo(1e-4, within(1e-12));
        assertThat(c.learningRateAt(5000)).isEqualTo(1e-4);
    }

    @Test
    void training_settings_out_of_range_are_refused_with_the_value() {
        assertThatThrownBy(() -> TrainingConfig.builder().batchSize(0).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("batch size must be positive, got 0");
        assertThatThrownBy(() -> TrainingConfig.builder().learningRate(-1).build())
                .hasMessageContaining("learning rate must be positive");
        assertThatThrownBy(() -> TrainingConfig.builder().betas(0.9, 1.0).build()).hasMessageContaining("betas");
    }

    @Test
    void a_gpt2_config_checks_heads_and_maps_to_hugging_face_keys_and_back() {
        assertThatThrownBy(() -> Gpt2Config.builder().vocabSize(65).embedding(130).heads(4).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not divisible by n_head 4");
        // the vocabulary may be left out: a pre-trainer takes it from the tokenizer (issue 16)
        assertThat(Gpt2Config.builder().build().vocabSize()).isZero();
        assertThat(Gpt2Config.builder().build().withVocabSize(65)).isEqualTo(Gpt2Config.builder().vocabSize(65).build());
        Gpt2Config c = Gpt2Config.builder().vocabSize(65).build();
        assertThat(ModelConfig.fromHfConfig(c.toHfConfig())).isEqualTo(c);
        // nanoGPT reports 0.80M parameters for its 4-layer, 128-wide character model (position embeddings included)
        assertThat(c.parameterCount()).isEqualTo(65 * 128 + 64 * 128 + 4 * (12 * 128 * 128 + 13 * 128) + 2 * 128);
    }

    @Test
    void enums_parse_the_command_line_spelling_and_reject_others() {
        assertThat(AdaptationTask.parse("causal-lm")).isEqualTo(AdaptationTask.CAUSAL_LM);
        assertThat(AdaptationMethod.parse("LoRA")).isEqualTo(AdaptationMethod.LORA);
        assertThat(Split.parse("val")).isEqualTo(Split.VAL);
        assertThatThrownBy(() -> AdaptationMethod.parse("prefix")).hasMessageContaining("expected head, lora or full");
        assertThatThrownBy(() -> TokenizerSpec.parse("sentencepiece")).hasMessageContaining("expected char, byte");
    }

    @Test
    void generation_requests_validate_sampling_settings() {
        assertThatThrownBy(() -> GenerationRequest.builder().topP(0).build()).hasMessageContaining("top-p");
        assertThatThrownBy(() -> GenerationRequest.builder().temperature(-1).build()).hasMessageContaining("temperature");
        assertThat(GenerationRequest.builder().greedy().build().temperature()).isZero();
    }
}
