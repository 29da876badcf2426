package dev.keel.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import dev.keel.api.InvalidInputException;
import dev.keel.monitors.drift.DriftMethod;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.monitors.drift.DriftTests;
import dev.keel.monitors.drift.EmbeddingDrift;
import dev.keel.monitors.drift.FeatureDrift;
import dev.keel.monitors.drift.TextDescriptors;
import dev.keel.monitors.drift.TextDrift;
import dev.keel.monitors.drift.ValueHistogram;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code keel drift} over Spark Datasets: the monitors' text descriptors ({@link TextDescriptors}) computed
 * on the executors, each feature reduced by a Spark aggregation to its value histogram
 * ({@link ValueHistogram}: distinct values with their reference and current counts) and tested by the
 * monitors' own arithmetic ({@link DriftTests}), so the statistics and verdicts are those of
 * {@code keel drift} on the same rows. What reaches the driver is the vocabulary of the reference (word to
 * document count) and one histogram per feature, whose size is the number of distinct descriptor values,
 * never the rows. Two exceptions, both bounded: a Kolmogorov-Smirnov test of samples whose sizes multiply to
 * under 10,000 takes the raw values (Commons Math breaks ties with jitter over them), and embedding drift
 * embeds at most {@code maxEmbed} texts a side on the executors and fits its domain classifier and MMD on
 * the driver, as {@code keel drift --model} does on its first {@code --max-embed} texts.
 */
public final class SparkDrift implements Serializable {
    private static final long serialVersionUID = 1L;
    private String textCol = "text";
    private String labelCol;
    private DriftMethod method = DriftMethod.AUTO;
    private double threshold = Double.NaN;
    private double driftShare = TextDrift.DEFAULT_DRIFT_SHARE;
    private ModelSpec model;
    private int maxEmbed = 2000;
    private int permutations = 100;
    private int mmdRows = 500;
    private long seed = 1337;

    public SparkDrift setTextCol(String name) {
        textCol = name;
        return this;
    }

    /** A label column present on both sides adds the label-mix test (rows with a null label skip it). */
    public SparkDrift setLabelCol(String name) {
        labelCol = name;
        return this;
    }

    public SparkDrift setMethod(DriftMethod m) {
        method = m;
        return this;
    }

    /** The limit for a named method; NaN (the default) uses each method's own. */
    public SparkDrift setThreshold(double t) {
        threshold = t;
        return this;
    }

    public SparkDrift setDriftShare(double share) {
        TextDrift.checkDriftShare(share);
        driftShare = share;
        return this;
    }

    /** An encoder for embedding drift (domain classifier and MMD); null skips it. */
    public SparkDrift setModel(ModelSpec spec) {
        model = spec;
        return this;
    }

    /** Texts per side embedded for embedding drift (default 2,000, as {@code keel drift --max-embed}). */
    public SparkDrift setMaxEmbed(int n) {
        if (n < 2) {
            throw new InvalidInputException("max embed must be at least 2, got " + n);
        }
        maxEmbed = n;
        return this;
    }

    public SparkDrift setSeed(long s) {
        seed = s;
        return this;
    }

    /**
     * The text report, and the embedding tests when a model is set.
     *
     * @param text          every descriptor's (and the label's) test and the dataset verdict
     * @param domain        the domain classifier's AUC test, or null without a model
     * @param mmd           the MMD permutation test, or null without a model
     * @param referenceRows reference rows compared
     * @param currentRows   current rows compared
     * @param embedded      texts embedded per side {reference, current}
     */
    public record Result(DriftReport text, EmbeddingDrift.DomainClassifierResult domain, EmbeddingDrift.MmdResult mmd,
            long referenceRows, long currentRows, int[] embedded) implements Serializable {
        /** Drift when the text features say so, or the domain classifier tells the samples apart. */
        public boolean drift() {
            return text.drift() || domain != null && domain.drifted();
        }
    }

    public Result compare(Dataset<?> reference, Dataset<?> current) {
        TextColumns.requireString(reference.schema(), textCol, "reference text");
        TextColumns.requireString(current.schema(), textCol, "current text");
        boolean labelled = labelCol != null;
        if (labelled) {
            TextColumns.require(reference.schema(), labelCol, "reference label");
            TextColumns.require(current.schema(), labelCol, "current label");
        }
        if (model != null) {
            model.checkOnDriver();
        }
        try {
            return run(reference.toDF().where(col(textCol).isNotNull()), current.toDF().where(col(textCol).isNotNull()));
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
    }

    private Result run(Dataset<Row> reference, Dataset<Row> current) {
        SparkSession spark = reference.sparkSession();
        long refRows = reference.count();
        long curRows = current.count();
        if (refRows == 0 || curRows == 0) {
            throw new InvalidInputException("drift needs texts on both sides; got " + refRows + " reference and "
                    + curRows + " current texts");
        }
        Dataset<String> refTexts = reference.select(textCol).as(Encoders.STRING());
        Dataset<String> curTexts = current.select(textCol).as(Encoders.STRING());
        Map<String, Integer> df = new HashMap<>();
        FlatMapFunction<String, String> documentWords = t -> TextDescriptors.documentWords(t).iterator();
        for (Row r : refTexts.flatMap(documentWords, Encoders.STRING()).groupBy("value").count().collectAsList()) {
            df.put(r.getString(0), (int) r.getLong(1));
        }
        Broadcast<Map<String, Integer>> vocabulary = JavaSparkContext.fromSparkContext(spark.sparkContext())
                .broadcast(df);
        try {
            return run(reference, current, describe(refTexts, vocabulary, true).union(describe(curTexts, vocabulary,
                    false)), refRows, curRows);
        } finally {
            vocabulary.destroy();
        }
    }

    private Result run(Dataset<Row> reference, Dataset<Row> current, Dataset<Row> values, long refRows, long curRows) {
        List<Row> counts = values.groupBy("feature", "value").agg(sum("ref"), sum("cur")).collectAsList();
        List<SortedMap<Double, long[]>> perFeature = new ArrayList<>();
        TextDescriptors.NAMES.forEach(n -> perFeature.add(new TreeMap<>()));
        for (Row r : counts) {
            perFeature.get(r.getInt(0)).put(r.getDouble(1), new long[] {r.getLong(2), r.getLong(3)});
        }
        List<FeatureDrift> tests = new ArrayList<>();
        for (int k = 0; k < perFeature.size(); k++) {
            tests.add(test(k, ValueHistogram.of(perFeature.get(k)), values));
        }
        if (labelCol != null) {
            FeatureDrift label = labelTest(reference, current);
            if (label != null) {
                tests.add(label);
            }
        }
        DriftReport text = new DriftReport(tests, driftShare);
        if (model == null) {
            return new Result(text, null, null, refRows, curRows, new int[] {0, 0});
        }
        float[][] va = embed(reference);
        float[][] vb = embed(current);
        return new Result(text, EmbeddingDrift.domainClassifier(va, vb, seed),
                EmbeddingDrift.mmd(va, vb, permutations, mmdRows, seed), refRows, curRows,
                new int[] {va.length, vb.length});
    }

    /** One row per (text, feature): feature index, value, and a count of 1 on this side. */
    private static Dataset<Row> describe(Dataset<String> texts, Broadcast<Map<String, Integer>> vocabulary,
            boolean reference) {
        StructType schema = new StructType().add("feature", DataTypes.IntegerType).add("value", DataTypes.DoubleType)
                .add("ref", DataTypes.LongType).add("cur", DataTypes.LongType);
        MapPartitionsFunction<String, Row> f = it -> {
            TextDescriptors d = TextDescriptors.fromDocumentFrequency(vocabulary.value());
            long ref = reference ? 1 : 0;
            return new java.util.Iterator<Row>() {
                private double[] row;
                private int k;

                @Override
                public boolean hasNext() {
                    return row != null && k < row.length || it.hasNext();
                }

                @Override
                public Row next() {
                    if (row == null || k == row.length) {
                        String t = it.next();
                        row = reference ? d.describeReference(t) : d.describe(t);
                        k = 0;
                    }
                    int feature = k++;
                    return RowFactory.create(feature, row[feature], ref, 1 - ref);
                }
            };
        };
        return texts.mapPartitions(f, Encoders.row(schema));
    }

    private FeatureDrift test(int k, ValueHistogram h, Dataset<Row> values) {
        String name = TextDescriptors.NAMES.get(k);
        DriftMethod m = method == DriftMethod.AUTO
                ? DriftTests.choose(true, (int) Math.min(Integer.MAX_VALUE, h.referenceRows()), h.distinct()) : method;
        if (m == DriftMethod.KS && h.referenceRows() * h.currentRows() < ValueHistogram.KS_LARGE_PRODUCT) {
            // under 10,000 pairs: tiny samples, and Commons Math's p-value needs them raw
            Dataset<Row> feature = values.where(col("feature").equalTo(k));
            double[] ref = feature.where(col("ref").equalTo(1)).select("value").as(Encoders.DOUBLE()).collectAsList()
                    .stream().mapToDouble(Double::doubleValue).toArray();
            double[] cur = feature.where(col("cur").equalTo(1)).select("value").as(Encoders.DOUBLE()).collectAsList()
                    .stream().mapToDouble(Double::doubleValue).toArray();
            return DriftTests.numeric(name, ref, cur, m, threshold);
        }
        return DriftTests.numeric(name, h, m, threshold);
    }

    /** The label mix, when every row of both sides has a label (as {@code keel drift} requires). */
    private FeatureDrift labelTest(Dataset<Row> reference, Dataset<Row> current) {
        if (reference.where(col(labelCol).isNull()).limit(1).count() > 0
                || current.where(col(labelCol).isNull()).limit(1).count() > 0) {
            return null;
        }
        SortedMap<String, long[]> counts = new TreeMap<>();
        for (Row r : reference.groupBy(col(labelCol).cast("string")).count().collectAsList()) {
            counts.computeIfAbsent(r.getString(0), x -> new long[2])[0] += r.getLong(1);
        }
        for (Row r : current.groupBy(col(labelCol).cast("string")).count().collectAsList()) {
            counts.computeIfAbsent(r.getString(0), x -> new long[2])[1] += r.getLong(1);
        }
        return DriftTests.categorical(TextDrift.LABEL, counts, TextDrift.labelMethod(method), threshold);
    }

    private float[][] embed(Dataset<Row> side) {
        return embedFirst(side, textCol);
    }

    /**
     * The first {@code maxEmbed} texts of {@code column}, embedded on the executors with the model set here
     * (normalised, 256 tokens at most, as {@code keel drift --model}), in row order.
     */
    public float[][] embedFirst(Dataset<Row> side, String column) {
        if (model == null) {
            throw new InvalidInputException("embedding drift needs a model; call setModel first");
        }
        Dataset<Row> first = side.select(column).limit(maxEmbed);
        TextEmbedder embedder = new TextEmbedder(model).setInputCol(column).setOutputCol("__keel_embedding");
        List<Row> rows = embedder.transform(first).collectAsList();
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = SparkValues.floats(rows.get(i), 1);
        }
        return out;
    }
}
