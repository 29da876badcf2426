package dev.keel.spark.bench;

import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.train.TrainingConfig;
import dev.keel.spark.KeelSpark;
import dev.keel.spark.train.DataParallelFineTuning;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Data-parallel fine-tuning of all-MiniLM-L6-v2 in {@code local[2]}: runs given as {@code WORKERS:K:LR}, one after
 * the other on the same rows, each printing dev accuracy, steps, averages and wall time. One worker is the
 * single-machine baseline (its one worker JVM trains as {@code keel adapt} does).
 * <pre>
 * java -cp ... dev.keel.spark.bench.DataParallelFineTuningBenchmark TRAIN DEV ROWS lora|full EPOCHS BATCH MAXLEN \
 *     1:8:2e-3,2:8:2e-3,2:8:4e-3
 * </pre>
 */
public final class DataParallelFineTuningBenchmark {
    private DataParallelFineTuningBenchmark() { }

    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(args[2]);
        AdaptationMethod method = AdaptationMethod.parse(args[3]);
        int epochs = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]);
        int maxLength = Integer.parseInt(args[6]);
        SparkSession spark = KeelSpark.local("local[2]", "keel-dp-finetune-benchmark");
        List<LabelledExample> train = LabelledFiles.read(Path.of(args[0]));
        Dataset<Row> trainDf = frame(spark, train.subList(0, Math.min(rows, train.size())));
        Dataset<Row> devDf = frame(spark, LabelledFiles.read(Path.of(args[1])));
        Path dir = Files.createTempDirectory("keel-dp-finetune-bench");
        System.out.printf(Locale.ROOT, "%s, %d train rows, %d epochs, batch %d per worker, max length %d%n", method,
                trainDf.count(), epochs, batch, maxLength);
        for (String run : args[7].split(",")) {
            String[] p = run.split(":");
            int workers = Integer.parseInt(p[0]);
            int k = Integer.parseInt(p[1]);
            double lr = Double.parseDouble(p[2]);
            long t = System.nanoTime();
            DataParallelFineTuning.Result r = new DataParallelFineTuning("builtin:all-minilm-l6-v2").method(method)
                    .workers(workers).syncEvery(k).backend("djl").maxLength(maxLength).patience(0)
                    .workerJvm("1g", 1, List.of())
                    .training(TrainingConfig.builder().maxSteps(0).epochs(epochs).batchSize(batch).learningRate(lr)
                            .minLearningRate(0).warmupSteps(0).weightDecay(0.01).build())
                    .train(trainDf, devDf, dir.resolve(run.replace(':', '_')));
            System.out.printf(Locale.ROOT, "workers=%d K=%d lr=%s dev_accuracy=%.4f macro_f1=%.4f steps=%d syncs=%d "
                    + "ms_per_step=%.0f stage_s=%.1f wall_s=%.1f trainable=%d%n", workers, k, p[2], r.devAccuracy(),
                    r.metrics().getOrDefault("dev_macro_f1", Double.NaN), r.steps(), r.syncs(), r.msPerStep(),
                    r.seconds(), (System.nanoTime() - t) / 1e9, r.trainable());
        }
        spark.stop();
    }

    private static Dataset<Row> frame(SparkSession spark, List<LabelledExample> examples) {
        StructType schema = new StructType().add("text", DataTypes.StringType).add("label", DataTypes.StringType);
        return spark.createDataFrame(examples.stream().map(e -> RowFactory.create(e.text(), e.label())).toList(), schema)
                .repartition(2);
    }
}
