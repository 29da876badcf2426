package dev.keel.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.ClassificationData;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spark.train.DataParallelHead;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel head training on the real all-MiniLM-L6-v2 features of 600 of the demo's sentiment sentences:
 * two workers averaging every 4 batches reach the dev accuracy of one worker, and the folder they write
 * classifies on Spark exactly as on a single machine.
 */
class DataParallelHeadTest {
    private static final ModelSpec MINILM = ModelSpec.of("builtin:all-minilm-l6-v2");
    /** Two workers see the same rows in half-size shards; averaging costs at most this much dev accuracy. */
    private static final double TOLERANCE = 0.03;

    @TempDir
    static Path dir;
    static DataParallelHead.Result one;
    static DataParallelHead.Result two;

    @BeforeAll
    static void trainWithOneAndTwoWorkers() {
        // 600 of the 1,000 sentences keep the embedding pass (most of this test's time) short
        Dataset<Row> train = SparkDriftTest.frame(LabelledFiles.read(SparkTests.sentimentTrain()).subList(0, 600), 2);
        Dataset<Row> dev = SparkDriftTest.frame(LabelledFiles.read(SparkTests.sentimentDev()), 2);
        DataParallelHead trainer = new DataParallelHead(MINILM).epochs(4).batchSize(32).learningRate(1e-3)
                .syncEvery(4);
        Dataset<Row> features = trainer.features(train).cache();
        Dataset<Row> devFeatures = trainer.features(dev).cache();
        one = trainer.workers(1).trainOnFeatures(features, devFeatures, dir.resolve("one"));
        two = trainer.workers(2).trainOnFeatures(features, devFeatures, dir.resolve("two"));
        features.unpersist();
        devFeatures.unpersist();
    }

    @Test
    void two_workers_reach_the_dev_accuracy_of_one_worker(org.junit.jupiter.api.TestReporter report) {
        report.publishEntry("dev_accuracy_1_worker", String.valueOf(one.dev().accuracy()));
        report.publishEntry("dev_accuracy_2_workers", String.valueOf(two.dev().accuracy()));
        report.publishEntry("syncs_per_worker_2_workers", String.valueOf(two.syncs()));
        assertThat(one.dev().accuracy()).isGreaterThan(0.7);
        assertThat(two.dev().accuracy()).as("2 workers %.3f vs 1 worker %.3f", two.dev().accuracy(), one.dev().accuracy())
                .isCloseTo(one.dev().accuracy(), within(TOLERANCE));
        assertThat(two.syncs()).isGreaterThan(one.epochs());
        assertThat(two.trainRows()).isEqualTo(600);
    }

    @Test
    void the_folder_classifies_on_spark_as_on_a_single_machine_with_the_same_metrics() {
        ClassificationData devData = ClassificationData.read(SparkTests.sentimentDev(), dev.keel.adapters.Labels.of(
                List.of("0", "1")));
        ClassificationMetrics local;
        List<Prediction> predictions;
        try (InferenceSession s = KeelRuntime.builder().build().open(ModelRef.of(two.out()))) {
            predictions = s.classify(devData.texts()).predictions();
            local = ClassificationMetrics.of(devData.labels(),
                    predictions.stream().map(Prediction::probabilities).toArray(double[][]::new));
        }
        Dataset<Row> dev = SparkDriftTest.frame(LabelledFiles.read(SparkTests.sentimentDev()), 3);
        ClassificationEvaluator.Result spark = new ClassificationEvaluator(ModelSpec.of(two.out().toString()))
                .evaluate(dev);
        assertThat(spark.labels()).containsExactly("0", "1");
        assertThat(spark.metrics().accuracy()).isEqualTo(local.accuracy());
        assertThat(spark.metrics().macroF1()).isEqualTo(local.macroF1());
        assertThat(spark.metrics().confusion()).isEqualTo(local.confusion());
        assertThat(spark.metrics().expectedCalibrationError()).isCloseTo(local.expectedCalibrationError(), within(1e-9));
        assertThat(spark.metrics().accuracy()).isEqualTo(two.dev().accuracy());

        List<Row> rows = new TextClassifier(ModelSpec.of(two.out().toString()))
                .transform(SparkDriftTest.frame(LabelledFiles.read(SparkTests.sentimentDev()), 0)).collectAsList();
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i).getString(2)).as("row %d", i).isEqualTo(predictions.get(i).label());
            assertThat(rows.get(i).getDouble(4)).isCloseTo(predictions.get(i).confidence(), within(1e-5));
        }
    }
}
