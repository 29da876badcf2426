package dev.keel.spark.bench;

import dev.keel.api.data.LabelledExample;
import dev.keel.spark.KeelSpark;
import dev.keel.spark.ModelSpec;
import dev.keel.spark.train.DataParallelHead;
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
 * Dev accuracy of data-parallel head training in {@code local[2]}: 1 worker, then 2 workers at several sync
 * intervals K, on the same all-MiniLM-L6-v2 features (embedded once):
 * <pre>
 * java -cp ... dev.keel.spark.bench.DataParallelHeadBenchmark TRAIN.tsv DEV.tsv [ROWS]
 * </pre>
 */
public final class DataParallelHeadBenchmark {
    private DataParallelHeadBenchmark() { }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : Integer.MAX_VALUE;
        SparkSession spark = KeelSpark.local("local[2]", "keel-dp-head-benchmark");
        List<LabelledExample> train = LabelledFiles.read(Path.of(args[0]));
        Dataset<Row> trainDf = frame(spark, train.subList(0, Math.min(rows, train.size())));
        Dataset<Row> devDf = frame(spark, LabelledFiles.read(Path.of(args[1])));
        DataParallelHead trainer = new DataParallelHead(ModelSpec.of("builtin:all-minilm-l6-v2")).epochs(4)
                .batchSize(32).learningRate(1e-3);
        long t0 = System.nanoTime();
        Dataset<Row> features = trainer.features(trainDf).cache();
        Dataset<Row> devFeatures = trainer.features(devDf).cache();
        System.out.printf(Locale.ROOT, "embedded %d + %d rows in %.1f s%n", features.count(), devFeatures.count(),
                (System.nanoTime() - t0) / 1e9);
        Path dir = Files.createTempDirectory("keel-dp-bench");
        int[][] runs = {{1, 4}, {2, 1}, {2, 4}, {2, 16}};
        for (int[] run : runs) {
            long t = System.nanoTime();
            DataParallelHead.Result r = trainer.workers(run[0]).syncEvery(run[1]).trainOnFeatures(features, devFeatures,
                    dir.resolve("w" + run[0] + "k" + run[1]));
            System.out.printf(Locale.ROOT, "workers=%d K=%d rows=%d dev_accuracy=%.4f macro_f1=%.4f epochs=%d best=%d "
                    + "syncs=%d seconds=%.1f%n", run[0], run[1], r.trainRows(), r.dev().accuracy(), r.dev().macroF1(),
                    r.epochs(), r.bestEpoch(), r.syncs(), (System.nanoTime() - t) / 1e9);
        }
        spark.stop();
    }

    private static Dataset<Row> frame(SparkSession spark, List<LabelledExample> examples) {
        StructType schema = new StructType().add("text", DataTypes.StringType).add("label", DataTypes.StringType);
        return spark.createDataFrame(examples.stream().map(e -> RowFactory.create(e.text(), e.label())).toList(), schema)
                .repartition(2);
    }
}
