package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;

class ExecutorLifecycleTest {
    @Test
    void the_executor_plugin_closes_the_models_when_the_executor_stops() {
        var spark = SparkTests.spark();
        new TextEmbedder(ModelSpec.of("builtin:all-minilm-l6-v2"))
                .transform(spark.createDataset(List.of("a fine film"), Encoders.STRING()).toDF("text")).count();
        assertThat(ExecutorModels.openCount()).isPositive();
        spark.stop(); // later test classes get a fresh session from SparkTests
        assertThat(ExecutorModels.openCount()).isZero();
    }
}
