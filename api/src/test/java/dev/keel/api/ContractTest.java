package dev.keel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.ClassWeighting;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.EmbeddingResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.Prediction;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.infer.StopReason;
import dev.keel.api.tokenize.Encoding;
import dev.keel.api.tokenize.TokenizerKind;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Issue 14's "the API is a contract": values are values, closed sets are enums, options validate where built. */
class ContractTest {

    @Nested
    class ValuesAreValues {
        @Test
        void an_embedding_result_keeps_its_own_copy_and_compares_by_contents() {
            float[][] engine = {{1, 2}, {3, 4}};
            EmbeddingResult r = new EmbeddingResult("id", engine);
            engine[0][0] = 99;
            assertThat(r.get(0, 0)).isEqualTo(1f);
            r.vectors()[1][1] = 99;
            r.vector(1)[0] = 99;
            assertThat(r.vectors()).isEqualTo(new float[][] {{1, 2}, {3, 4}});
            assertThat(r).isEqualTo(new EmbeddingResult("id", new float[][] {{1, 2}, {3, 4}}))
                    .hasSameHashCodeAs(new EmbeddingResult("id", new float[][] {{1, 2}, {3, 4}}));
            assertThat(r.withInferenceId("other")).isEqualTo(new EmbeddingResult("other", new float[][] {{1, 2}, {3, 4}}));
            assertThat(r.size()).isEqualTo(2);
            assertThat(r.dimension()).isEqualTo(2);
        }

        @Test
        void an_embedding_result_carries_the_tokens_the_model_read_when_the_engine_counted_them() {
            float[][] v = {{1, 2}};
            assertThat(new EmbeddingResult("id", v).inputTokens()).isEmpty();
            EmbeddingResult counted = new EmbeddingResult("id", v, 7);
            assertThat(counted.inputTokens()).hasValue(7);
            assertThat(counted.withInferenceId("other").inputTokens()).hasValue(7);
            assertThat(counted).isNotEqualTo(new EmbeddingResult("id", v)).isEqualTo(new EmbeddingResult("id", v, 7));
            assertThatThrownBy(() -> new EmbeddingResult("id", v, -1)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("inputTokens is -1");
        }

        @Test
        void a_prediction_a_generation_and_an_encoding_copy_their_arrays() {
            double[] p = {0.25, 0.75};
            Prediction prediction = new Prediction("pos", 1, 0.75, p);
            p[1] = 0;
            prediction.probabilities()[0] = 9;
            assertThat(prediction.probability(1)).isEqualTo(0.75);
            assertThat(prediction).isEqualTo(new Prediction("pos", 1, 0.75, new double[] {0.25, 0.75}));

            int[] tokens = {4, 5};
            GenerationResult g = new GenerationResult("id", "ab", tokens, 1, 2, StopReason.EOS);
            tokens[0] = 0;
            g.tokens()[1] = 0;
            assertThat(g.tokens()).containsExactly(4, 5);
            assertThat(g.tokenCount()).isEqualTo(2);
            assertThat(g).isEqualTo(new GenerationResult("id", "ab", new int[] {4, 5}, 1, 2, StopReason.EOS));

            long[] ids = {101, 7, 102};
            Encoding e = new Encoding(ids, new long[] {1, 1, 1}, new long[3]);
            ids[1] = 0;
            e.ids()[0] = 0;
            assertThat(e.ids()).containsExactly(101, 7, 102);
            assertThat(e.id(1)).isEqualTo(7);
            assertThat(e).isEqualTo(new Encoding(new long[] {101, 7, 102}, new long[] {1, 1, 1}, new long[3]));
            long[] row = new long[5];
            e.copyTo(row, new long[5], new long[5], 1);
            assertThat(row).containsExactly(0, 101, 7, 102, 0);
        }

        @Test
        void a_classification_result_copies_its_list() {
            List<Prediction> predictions = new ArrayList<>(List.of(new Prediction("a", 0, 1, new double[] {1, 0})));
            ClassificationResult r = new ClassificationResult("id", predictions);
            predictions.clear();
            assertThat(r.predictions()).hasSize(1);
            assertThatThrownBy(() -> r.predictions().clear()).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void closed_sets_are_enums_that_keep_their_lower_case_spelling() {
        assertThat(Operation.CLASSIFY.label()).isEqualTo("classify");
        assertThat(Operation.parse("Embed")).isEqualTo(Operation.EMBED);
        assertThat(StopReason.LENGTH).hasToString("length");
        assertThat(TokenizerKind.parse("hf")).isEqualTo(TokenizerKind.HF);
        assertThat(ClassWeighting.parse("Balanced")).isEqualTo(ClassWeighting.BALANCED);
        assertThatThrownBy(() -> ClassWeighting.parse("inverse")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("expected auto, balanced or none");
        assertThat(TokenizerSpec.parse("byte").kind()).isEqualTo(TokenizerKind.BYTE);
    }

    static Stream<Arguments> badOptions() {
        Path p = Path.of("x");
        ModelRef base = ModelRef.of(p);
        return Stream.of(
                bad("SessionOptions.threads", "-1", () -> SessionOptions.builder().threads(-1).build()),
                bad("SessionOptions.maxBatchSize", "0", () -> SessionOptions.builder().maxBatchSize(0).build()),
                bad("SessionOptions.maxQueue", "0", () -> SessionOptions.builder().maxQueue(0).build()),
                bad("EmbeddingOptions.maxLength", "0", () -> new EmbeddingOptions(true, 0)),
                bad("LoRA dropout", "1.0", () -> new LoraConfig(8, 8, 1.0, List.of())),
                bad("AdaptationSpec.patience", "-1", () -> AdaptationSpec.builder().base(base).train(p).outputDir(p)
                        .patience(-1).build()),
                bad("AdaptationSpec.warmupFraction", "1.0", () -> AdaptationSpec.builder().base(base).train(p)
                        .outputDir(p).warmupFraction(1).build()),
                bad("AdaptationSpec.maxLength", "0", () -> AdaptationSpec.builder().base(base).train(p).outputDir(p)
                        .maxLength(0).build()),
                bad("outputDir", "null", () -> AdaptationSpec.builder().base(base).train(p).build()),
                bad("TrainingConfig.minLearningRate", "0.01", () -> TrainingConfig.builder().learningRate(1e-3)
                        .minLearningRate(1e-2).build()),
                bad("maxSteps or epochs", "0", () -> TrainingConfig.builder().maxSteps(0).build()),
                bad("GenerationRequest.topK", "-1", () -> GenerationRequest.builder().topK(-1).build()),
                bad("TokenizerSpec.file", "null", () -> new TokenizerSpec(TokenizerKind.HF, null)));
    }

    private static Arguments bad(String field, String value, Supplier<?> build) {
        return Arguments.of(field, value, build);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badOptions")
    void every_option_is_checked_where_it_is_built_and_the_message_names_the_field_and_the_value(String field,
            String value, Supplier<?> build) {
        assertThatThrownBy(build::get).isInstanceOf(InvalidInputException.class).hasMessageContaining(field)
                .hasMessageContaining(value);
    }

    @Test
    void the_adaptation_spec_builder_and_constructor_give_the_same_defaults() {
        Path p = Path.of("x");
        AdaptationSpec built = AdaptationSpec.builder().base(ModelRef.of(p)).method(AdaptationMethod.LORA)
                .task(AdaptationTask.CLASSIFY).train(p).outputDir(p).build();
        AdaptationSpec constructed = new AdaptationSpec(ModelRef.of(p), AdaptationMethod.LORA, AdaptationTask.CLASSIFY,
                p, null, null, null, AdaptationSpec.DEFAULT_MAX_LENGTH, p, null, AdaptationSpec.DEFAULT_PATIENCE, 0,
                AdaptationSpec.DEFAULT_WARMUP_FRACTION, 0, 0, null, null, null);
        assertThat(constructed).isEqualTo(built);
        assertThat(built.training().epochs()).isEqualTo(3);
        assertThat(built.training().learningRate()).isEqualTo(5e-5);
        assertThat(built.toBuilder().build()).isEqualTo(built);
    }

    @Nested
    class TrainingLength {
        @Test
        void epochs_alone_decide_the_length_and_no_default_step_count_overrides_them() {
            TrainingConfig oneEpoch = TrainingConfig.builder().epochs(1).build();
            assertThat(oneEpoch.maxSteps()).isZero();
            assertThat(oneEpoch.totalSteps(37)).isEqualTo(37);
            assertThat(TrainingConfig.builder().build().maxSteps()).isEqualTo(TrainingConfig.DEFAULT_MAX_STEPS);
            assertThat(TrainingConfig.builder().epochs(2).maxSteps(10).build().totalSteps(37))
                    .as("a step count that is set wins").isEqualTo(10);
            assertThat(oneEpoch.resolve(37).maxSteps()).isEqualTo(37);
        }

        @Test
        void a_warmup_longer_than_the_run_is_fitted_so_the_rate_reaches_its_peak() {
            TrainingConfig c = TrainingConfig.builder().maxSteps(60).learningRate(3e-3).build(); // default warmup 100
            TrainingConfig run = c.resolve(1);
            assertThat(run.warmupSteps()).isEqualTo(6);
            double peak = IntStream.range(0, 60).mapToDouble(run::learningRateAt).max().orElseThrow();
            assertThat(peak).isCloseTo(3e-3, within(1e-12));
            TrainingConfig fits = TrainingConfig.builder().maxSteps(600).build();
            assertThat(fits.resolve(1)).as("a warmup that fits is kept").isEqualTo(fits);
            TrainingConfig longSchedule = TrainingConfig.builder().maxSteps(4).decaySteps(8).warmupSteps(3).build();
            assertThat(longSchedule.resolve(1).warmupSteps()).as("the schedule, not the stop, is what warms up")
                    .isEqualTo(3);
        }

        @Test
        void the_schedule_of_a_run_by_epochs_is_known_once_it_is_resolved() {
            TrainingConfig c = TrainingConfig.builder().epochs(1).warmupSteps(2).build();
            assertThatThrownBy(() -> c.learningRateAt(10)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("resolve(stepsPerEpoch)");
            assertThat(c.resolve(20).learningRateAt(20)).isEqualTo(c.minLearningRate());
        }

        @Test
        void the_minimum_rate_follows_a_lower_peak_unless_it_is_set() {
            assertThat(TrainingConfig.builder().learningRate(5e-5).build().minLearningRate()).isEqualTo(5e-5);
            assertThat(TrainingConfig.builder().build().minLearningRate()).isEqualTo(1e-4);
        }
    }

    @Test
    void the_api_types_carry_their_stability() {
        for (Class<?> type : List.of(EmbeddingResult.class, AdaptationSpec.class, KeelException.class,
                SessionClosedException.class, Operation.class)) {
            assertThat(type.getAnnotation(org.apiguardian.api.API.class)).as(type.getName()).isNotNull()
                    .satisfies(a -> assertThat(a.status()).isEqualTo(org.apiguardian.api.API.Status.STABLE));
        }
        assertThat(dev.keel.api.iterate.ModelRegistry.class.getAnnotation(org.apiguardian.api.API.class).status())
                .isEqualTo(org.apiguardian.api.API.Status.EXPERIMENTAL);
        assertThat(Arrays.stream(Operation.values()).map(Operation::label)).doesNotHaveDuplicates();
    }
}
