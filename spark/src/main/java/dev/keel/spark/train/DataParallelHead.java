package dev.keel.spark.train;

import dev.keel.adapters.AdaptedModels;
import dev.keel.adapters.ClassWeights;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.ClassifierHead;
import dev.keel.adapters.HeadTrainer;
import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.adapt.ClassWeighting;
import dev.keel.api.model.ModelConfig;
import dev.keel.spark.ExecutorModels;
import dev.keel.spark.KeelSpark;
import dev.keel.spark.ModelSpec;
import dev.keel.spark.SparkValues;
import dev.keel.spark.TextEmbedder;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.OutputFolders;
import dev.keel.spi.checkpoint.Tensor;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The {@code head} method, data-parallel: the base model embeds the training texts on the executors (mean
 * pooled, not normalised, as {@link dev.keel.adapters.HeadAdapter} does), the features are standardised with
 * statistics over all of them (a tree aggregation), cut into {@code workers} equal shards, and a barrier
 * stage runs one {@link HeadTrainer} per shard. Every {@code syncEvery} batches, and at each epoch's end, the
 * workers exchange their parameters with {@link BarrierTaskContext#allGather} and continue from the average
 * (local AdamW moments stay local: model averaging, "local SGD"); at an epoch's end all workers therefore
 * hold the same head, evaluate the same dev set alike and stop early together. The result is an ordinary
 * head folder ({@link AdaptedModels#writeHeadFolder}) that every backend opens.
 *
 * <p>Settings: each worker steps with {@code batchSize} rows, so one averaged step sees
 * {@code workers * batchSize} rows; the single-worker learning rate works unchanged for {@code syncEvery}
 * of 1 to 8 (measured: see docs/spark.md). Shards are equal by construction: up to {@code workers - 1} rows
 * are left out so that every worker runs the same number of batches, which the barrier needs.
 */
public final class DataParallelHead implements Serializable {
    private static final long serialVersionUID = 1L;
    private final ModelSpec base;
    private int workers = 2;
    private int syncEvery = 4;
    private int epochs = 3;
    private int batchSize = 32;
    private double learningRate = 1e-3;
    private double weightDecay = 0.01;
    private int maxLength = 128;
    private int patience = 3;
    private ClassWeighting classWeights = ClassWeighting.AUTO;
    private long seed = 1337;
    private String textCol = "text";
    private String labelCol = "label";

    public DataParallelHead(ModelSpec base) {
        this.base = base;
    }

    public DataParallelHead workers(int n) {
        if (n < 1) {
            throw new InvalidInputException("workers must be at least 1, got " + n);
        }
        workers = n;
        return this;
    }

    /** Batches between parameter averages (K); each epoch's end always averages. */
    public DataParallelHead syncEvery(int k) {
        if (k < 1) {
            throw new InvalidInputException("sync interval must be at least 1 batch, got " + k);
        }
        syncEvery = k;
        return this;
    }

    public DataParallelHead epochs(int n) {
        epochs = n;
        return this;
    }

    public DataParallelHead batchSize(int n) {
        batchSize = n;
        return this;
    }

    public DataParallelHead learningRate(double lr) {
        learningRate = lr;
        return this;
    }

    public DataParallelHead maxLength(int n) {
        maxLength = n;
        return this;
    }

    public DataParallelHead seed(long s) {
        seed = s;
        return this;
    }

    public DataParallelHead columns(String text, String label) {
        textCol = text;
        labelCol = label;
        return this;
    }

    /**
     * @param out       the head folder written
     * @param dev       dev metrics of the kept head (null without dev data)
     * @param epochs    epochs run
     * @param bestEpoch the epoch whose head was kept
     * @param syncs     parameter averages per worker
     * @param trainRows rows trained on (all workers together)
     */
    public record Result(Path out, ClassificationMetrics dev, int epochs, int bestEpoch, int syncs, long trainRows)
            implements Serializable { }

    /** Embeds {@code train} (and {@code dev}, may be null) with the base, trains, and writes {@code out}. */
    public Result train(Dataset<Row> train, Dataset<Row> dev, Path out) {
        OutputFolders.requireFresh(out, "output folder");
        try {
            Dataset<Row> features = features(train).cache();
            Dataset<Row> devFeatures = dev == null ? null : features(dev);
            try {
                return trainOnFeatures(features, devFeatures, out);
            } finally {
                features.unpersist();
            }
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
    }

    /** {@code (label, features)}: the base's mean-pooled, unnormalised vectors, as the head method trains on. */
    public Dataset<Row> features(Dataset<Row> texts) {
        return new TextEmbedder(base).setInputCol(textCol).setOutputCol("features").setNormalize(false)
                .setMaxLength(maxLength).transform(texts.select(labelCol, textCol).where(texts.col(labelCol).isNotNull()))
                .select(labelCol, "features");
    }

    /** Trains on features made by {@link #features} (so several runs can share one embedding pass). */
    public Result trainOnFeatures(Dataset<Row> features, Dataset<Row> devFeatures, Path out) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(features.sparkSession().sparkContext());
        Map<String, Long> labelCounts = new HashMap<>();
        for (Row r : features.groupBy(features.col(labelCol).cast("string")).count().collectAsList()) {
            labelCounts.put(r.getString(0).trim(), r.getLong(1));
        }
        Labels labels = Labels.ordered(new TreeSet<>(labelCounts.keySet()), "training data");
        int[] counts = new int[labels.size()];
        for (int c = 0; c < counts.length; c++) {
            counts[c] = Math.toIntExact(labelCounts.get(labels.name(c)));
        }
        float[] weights = ClassWeights.of(classWeights, counts);
        List<String> names = List.copyOf(labels.names());
        JavaRDD<Example> examples = features.javaRDD().mapPartitions(rows -> {
            Labels known = Labels.of(names);
            List<Example> part = new ArrayList<>();
            rows.forEachRemaining(r -> part.add(new Example(known.indexOf(String.valueOf(r.get(0)), "training data", 0),
                    SparkValues.floats(r, 1))));
            return part.iterator();
        });
        Moments m = examples.treeAggregate(new Moments(), Moments::add, Moments::merge);
        float[][] standard = m.standardisation();

        long n = m.count;
        long perWorker = n / workers;
        if (perWorker < batchSize) {
            throw new InvalidInputException(n + " training rows make shards of " + perWorker + " rows for " + workers
                    + " workers, fewer than one batch of " + batchSize + "; use fewer workers or a smaller batch");
        }
        int w = workers;
        JavaRDD<Tuple2<Long, Example>> shards = examples.zipWithIndex()
                .filter(t -> t._2() < perWorker * w)
                .mapToPair(t -> new Tuple2<>((int) (t._2() % w), new Tuple2<>(t._2(), t._1())))
                .partitionBy(new HashPartitioner(w)).values();

        Broadcast<DevSet> devSet = jsc.broadcast(devFeatures == null ? new DevSet(null, null)
                : DevSet.of(devFeatures, labels, labelCol));
        ShardTrainer trainer = new ShardTrainer(this, weights, labels.size(), standard[0], standard[1], devSet);
        List<WorkerResult> results = shards.rdd().barrier()
                .mapPartitions(trainer, false, ClassTag$.MODULE$.apply(WorkerResult.class)).toJavaRDD().collect();
        devSet.destroy();
        WorkerResult first = results.stream().min(Comparator.comparingInt(WorkerResult::partition)).orElseThrow();

        ModelConfig config = ExecutorModels.session(base).info().config();
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("data_parallel", "spark barrier, parameter averaging (allGather)");
        training.put("workers", workers);
        training.put("sync_every", syncEvery);
        training.put("epochs_run", first.epochs());
        training.put("best_epoch", first.bestEpoch());
        training.put("learning_rate", learningRate);
        training.put("batch_size", batchSize);
        training.put("train_examples", perWorker * workers);
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (first.dev() != null) {
            metrics.putAll(first.dev().toMap("dev_"));
        }
        metrics.put("best_epoch", (double) first.bestEpoch());
        KeelMetadata meta = KeelMetadata.create(ExecutorModels.session(base).info().backend(), "head")
                .withBase(AdaptedModels.baseReference(base.ref()), "classify", List.of(AdaptedModels.baseReference(base.ref())))
                .withTraining(training).withMetrics(metrics)
                .withVersion("head-" + Long.toHexString(System.currentTimeMillis()));
        AdaptedModels.writeHeadFolder(out, config, labels, maxLength, first.head(), meta);
        return new Result(out, first.dev(), first.epochs(), first.bestEpoch(), first.syncs(), perWorker * workers);
    }

    /** One training row: class index and features. */
    record Example(int label, float[] x) implements Serializable { }

    /** Per-feature sums over all rows, for one standardisation shared by every worker. */
    static final class Moments implements Serializable {
        private static final long serialVersionUID = 1L;
        double[] s;
        double[] s2;
        long count;

        Moments add(Example e) {
            if (s == null) {
                s = new double[e.x().length];
                s2 = new double[e.x().length];
            }
            for (int j = 0; j < s.length; j++) {
                s[j] += e.x()[j];
                s2[j] += (double) e.x()[j] * e.x()[j];
            }
            count++;
            return this;
        }

        Moments merge(Moments o) {
            if (o.s == null) {
                return this;
            }
            if (s == null) {
                return o;
            }
            for (int j = 0; j < s.length; j++) {
                s[j] += o.s[j];
                s2[j] += o.s2[j];
            }
            count += o.count;
            return this;
        }

        /** {mean, 1 / sd} as the head trainer standardises a single machine's features. */
        float[][] standardisation() {
            if (count == 0) {
                throw new InvalidInputException("no training rows with a label; the label column is empty");
            }
            float[] mean = new float[s.length];
            float[] inv = new float[s.length];
            for (int j = 0; j < s.length; j++) {
                double mu = s[j] / count;
                double var = Math.max(s2[j] / count - mu * mu, 0);
                mean[j] = (float) mu;
                inv[j] = (float) (1.0 / Math.sqrt(var + 1e-8));
            }
            return new float[][] {mean, inv};
        }
    }

    /** The dev set every worker evaluates (small: collected once and broadcast). */
    record DevSet(float[][] x, int[] y) implements Serializable {
        static DevSet of(Dataset<Row> features, Labels labels, String labelCol) {
            List<Row> rows = features.collectAsList();
            float[][] x = new float[rows.size()][];
            int[] y = new int[rows.size()];
            for (int i = 0; i < x.length; i++) {
                y[i] = labels.indexOf(String.valueOf(rows.get(i).get(0)), "dev data (" + labelCol + ")", i + 1);
                x[i] = SparkValues.floats(rows.get(i), 1);
            }
            return new DevSet(x, y);
        }
    }

    /** What a worker reports: the kept head (equal on every worker), its dev metrics, and counts. */
    record WorkerResult(int partition, List<String> names, List<long[]> shapes, List<float[]> values,
            ClassificationMetrics dev, int epochs, int bestEpoch, int syncs) implements Serializable {
        ClassifierHead head() {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                tensors.put(names.get(i), Tensor.ofFloats(names.get(i), shapes.get(i), values.get(i)));
            }
            return ClassifierHead.fromTensors(tensors);
        }
    }

    /** The barrier task: one trainer over this partition's shard, averaging through allGather. */
    static final class ShardTrainer extends AbstractFunction1<scala.collection.Iterator<Tuple2<Long, Example>>,
            scala.collection.Iterator<WorkerResult>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final DataParallelHead settings;
        private final float[] classWeights;
        private final int classes;
        private final float[] mean;
        private final float[] inv;
        private final Broadcast<DevSet> dev;

        ShardTrainer(DataParallelHead settings, float[] classWeights, int classes, float[] mean, float[] inv,
                Broadcast<DevSet> dev) {
            this.settings = settings;
            this.classWeights = classWeights;
            this.classes = classes;
            this.mean = mean;
            this.inv = inv;
            this.dev = dev;
        }

        @Override
        public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<Tuple2<Long, Example>> rows) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            List<Tuple2<Long, Example>> shard = new ArrayList<>();
            rows.foreach(t -> shard.add(t));
            // the shuffle delivers rows in no fixed order: sort by their global index so runs repeat
            shard.sort(Comparator.comparingLong(Tuple2::_1));
            float[][] x = new float[shard.size()][];
            int[] y = new int[shard.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = shard.get(i)._2().x();
                y[i] = shard.get(i)._2().label();
            }
            int syncEvery = settings.syncEvery;
            HeadTrainer.Options options = new HeadTrainer.Options(settings.epochs, settings.batchSize,
                    settings.learningRate, settings.weightDecay, 0, settings.patience, classWeights, settings.seed);
            int[] syncs = new int[1];
            HeadTrainer.ParameterSync average = (batch, epochEnd, parameters) -> {
                if (batch % syncEvery == 0 || epochEnd) {
                    BarrierAverage.average(ctx, parameters);
                    syncs[0]++;
                }
            };
            DevSet d = dev.value();
            HeadTrainer.Result r = HeadTrainer.train(x, y, classes, d.x(), d.y(), options, e -> { },
                    new HeadTrainer.Distributed(mean, inv, average));
            List<String> names = new ArrayList<>();
            List<long[]> shapes = new ArrayList<>();
            List<float[]> values = new ArrayList<>();
            for (Tensor t : r.head().toTensors()) {
                names.add(t.name());
                shapes.add(t.shape());
                values.add(t.toFloats());
            }
            WorkerResult out = new WorkerResult(ctx.partitionId(), names, shapes, values, r.dev(), r.history().size(),
                    r.bestEpoch(), syncs[0]);
            return scala.jdk.javaapi.CollectionConverters.asScala(List.of(out).iterator());
        }
    }
}
