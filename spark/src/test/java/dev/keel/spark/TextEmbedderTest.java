package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextEmbedderTest {
    private static final ModelSpec MINILM = ModelSpec.of("builtin:all-minilm-l6-v2");

    @Test
    void vectors_from_two_local_workers_match_a_plain_session_row_by_row() {
        List<String> texts = SparkTests.sentences(120);
        Dataset<Row> df = SparkTests.spark().createDataset(texts, Encoders.STRING()).toDF("text").repartition(4);
        long loadsBefore = ExecutorModels.loads();
        List<Row> rows = new TextEmbedder(MINILM).setBatchRows(16).transform(df).collectAsList();
        float[][] expected;
        try (InferenceSession s = KeelRuntime.builder().build().open(ModelRef.parse(MINILM.model()))) {
            expected = s.embed(texts).vectors();
        }
        assertThat(rows).hasSize(texts.size());
        for (Row r : rows) {
            int i = texts.indexOf(r.getString(0));
            float[] v = SparkValues.floats(r, 1);
            assertThat(v).hasSize(384);
            assertThat(SparkTests.cosine(v, expected[i])).as("row %d", i).isGreaterThanOrEqualTo(0.9999);
        }
        // four partitions on two task threads of one executor JVM: one load at most (none if already open)
        assertThat(ExecutorModels.loads() - loadsBefore).isLessThanOrEqualTo(1);
    }

    @Test
    void a_null_text_gets_a_null_vector_and_other_columns_pass_through() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        List<Row> in = new ArrayList<>();
        in.add(RowFactory.create(1, "a fine film"));
        in.add(RowFactory.create(2, null));
        List<Row> out = new TextEmbedder(MINILM).transform(SparkTests.spark().createDataFrame(in, schema))
                .orderBy("id").collectAsList();
        assertThat(out.get(0).getInt(0)).isEqualTo(1);
        assertThat(out.get(0).getList(2)).hasSize(384);
        assertThat(out.get(1).isNullAt(2)).isTrue();
    }

    @Test
    void a_missing_column_is_named_before_any_task_runs() {
        Dataset<Row> df = SparkTests.spark().createDataset(List.of("x"), Encoders.STRING()).toDF("sentence");
        assertThatThrownBy(() -> new TextEmbedder(MINILM).transform(df))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'text'").hasMessageContaining("[sentence]").hasMessageContaining("setInputCol");
    }

    @Test
    void a_column_that_is_not_a_string_is_named_with_its_type() {
        Dataset<Row> df = SparkTests.spark().createDataset(List.of(1, 2), Encoders.INT()).toDF("text");
        assertThatThrownBy(() -> new TextEmbedder(MINILM).transform(df))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'text'").hasMessageContaining("holds int").hasMessageContaining("cast");
    }

    @Test
    void an_output_column_that_exists_is_refused() {
        Dataset<Row> df = SparkTests.spark().createDataset(List.of("x"), Encoders.STRING()).toDF("text")
                .withColumn("embedding", org.apache.spark.sql.functions.lit(1));
        assertThatThrownBy(() -> new TextEmbedder(MINILM).transform(df))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'embedding' already exists");
    }

    @Test
    void a_model_folder_missing_on_the_executors_fails_the_first_task_naming_the_folder(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-model");
        Dataset<Row> df = SparkTests.spark().createDataset(List.of("x", "y"), Encoders.STRING()).toDF("text");
        Dataset<Row> embedded = new TextEmbedder(ModelSpec.of(missing.toString())).transform(df);
        assertThatThrownBy(() -> {
            try {
                embedded.collectAsList();
            } catch (Exception e) { // Spark throws its checked SparkException undeclared
                throw KeelSpark.unwrap(e);
            }
        }).isInstanceOf(dev.keel.api.KeelException.class).hasMessageContaining(missing.toString())
                .hasMessageContaining("executor")
                .hasMessageContaining("shared filesystem");
    }

    @Test
    void a_folder_the_driver_sees_without_config_is_refused_on_the_driver(@TempDir Path dir) {
        Dataset<Row> df = SparkTests.spark().createDataset(List.of("x"), Encoders.STRING()).toDF("text");
        assertThatThrownBy(() -> new TextEmbedder(ModelSpec.of(dir.toString())).transform(df))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("config.json")
                .hasMessageContaining(dir.toString());
    }
}
