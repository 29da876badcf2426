package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.tck.KitModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation, per-row scoring and the SQL functions over a tiny random gpt2 written by the compatibility kit. */
class CausalLmTransformersTest {
    private static final List<String> TEXTS = List.of("abcedefeghij\n", "jihegfeedcba\n", "aaaebbbeccc\nhijehijehij\n");

    @TempDir
    static Path dir;
    static ModelSpec gpt2;

    @BeforeAll
    static void tinyModel() {
        KitModels.tokenCacheIn(dir);
        gpt2 = ModelSpec.of(KitModels.writeGpt2(dir.resolve("gpt2"), KitModels.randomGpt2(KitModels.GPT2, 3)).toString());
    }

    private static Dataset<Row> prompts() {
        return SparkTests.spark().createDataset(TEXTS, Encoders.STRING()).toDF("text").repartition(2);
    }

    @Test
    void greedy_completions_equal_a_plain_session_and_long_texts_are_scored_in_context_windows() throws Exception {
        List<Row> generated = new TextGenerator(gpt2).setMaxTokens(8).transform(prompts()).collectAsList();
        List<Row> scored = new TextScorer(gpt2).transform(prompts()).collectAsList();
        try (InferenceSession s = KeelRuntime.builder().build().open(ModelRef.parse(gpt2.model()))) {
            for (Row r : generated) {
                String expected = s.generate(GenerationRequest.builder().prompt(r.getString(0)).maxTokens(8).greedy()
                        .build()).text();
                assertThat(r.getString(1)).as(r.getString(0)).isEqualTo(expected);
                assertThat(r.getInt(2)).isEqualTo(8);
            }
            for (Row r : scored) {
                // the last text is longer than the 16-token context: two windows, as evaluate cuts blocks
                Path corpus = Files.writeString(Files.createTempFile(dir, "row", ".txt"), r.getString(0));
                var expected = s.evaluate(TextCorpus.of(corpus), Split.ALL);
                assertThat(r.getInt(3)).isEqualTo((int) expected.tokens());
                assertThat(r.getDouble(1)).isCloseTo(expected.loss(), within(1e-4));
                assertThat(r.getDouble(2)).isCloseTo(Math.exp(r.getDouble(1)), within(1e-9));
            }
        }
    }

    @Test
    void sql_functions_score_and_embed_as_the_transformers_do() {
        KeelSpark.registerFunctions(SparkTests.spark(), "lm", gpt2);
        KeelSpark.registerFunctions(SparkTests.spark(), "minilm", ModelSpec.of("builtin:all-minilm-l6-v2"));
        prompts().createOrReplaceTempView("docs");
        List<Row> sql = SparkTests.spark().sql("SELECT text, lm_score(text), minilm_embed(text) FROM docs ORDER BY text")
                .collectAsList();
        List<Row> scored = new TextScorer(gpt2).transform(prompts()).orderBy("text").collectAsList();
        List<Row> embedded = new TextEmbedder(ModelSpec.of("builtin:all-minilm-l6-v2")).transform(prompts())
                .orderBy("text").collectAsList();
        for (int i = 0; i < sql.size(); i++) {
            assertThat(sql.get(i).getDouble(1)).isCloseTo(scored.get(i).getDouble(1), within(1e-12));
            assertThat(SparkTests.cosine(SparkValues.floats(sql.get(i), 2), SparkValues.floats(embedded.get(i), 1)))
                    .isGreaterThanOrEqualTo(0.9999);
        }
    }

    @Test
    void scoring_with_an_encoder_says_it_needs_a_causal_lm() {
        Dataset<Row> scored = new TextScorer(ModelSpec.of("builtin:all-minilm-l6-v2")).transform(prompts());
        assertThatThrownBy(() -> {
            try {
                scored.collectAsList();
            } catch (Exception e) { // Spark throws its checked SparkException undeclared
                throw KeelSpark.unwrap(e);
            }
        }).isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("causal LM");
    }
}
