package dev.keel.cli;

import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.monitors.drift.DriftMethod;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.spark.KeelSpark;
import dev.keel.spark.LabelledText;
import dev.keel.spark.ModelSpec;
import dev.keel.spark.SparkDrift;
import dev.keel.spark.SparkEvaluation;
import dev.keel.spark.SparkValues;
import dev.keel.spark.TextClassifier;
import dev.keel.spark.TextEmbedder;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code --spark MASTER_URL} branch of embed, classify, evaluate and drift: the verb's model work and
 * aggregations run as a Spark job (keel-spark), and the verb writes the same files and JSON as without
 * {@code --spark}. Only this class names Spark types, so the CLI loads no Spark class unless asked to: bin/keel
 * puts Spark's jars on the class path only for {@code --spark}.
 */
final class SparkVerbs {
    static final String OPTION_HELP = "run as a Spark job: local[N], spark://HOST:7077, or 'submit' under spark-submit "
            + "(the master comes from spark-submit); same output as without it";
    private static final String SUBMIT = "submit";

    private SparkVerbs() { }

    static SparkSession session(String master) {
        try {
            Class.forName("org.apache.spark.sql.SparkSession", false, SparkVerbs.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new InvalidInputException("--spark needs Apache Spark on the class path, and it is not there; bin/keel "
                    + "adds cli/target/spark-classpath.txt when it sees --spark (rebuild with ./mvnw -pl cli -am package), "
                    + "and spark-submit brings its own");
        }
        if (SUBMIT.equals(master)) {
            return KeelSpark.configure(SparkSession.builder()).appName("keel").getOrCreate();
        }
        if (master.startsWith("local")) {
            return KeelSpark.local(master, "keel");
        }
        return KeelSpark.configure(SparkSession.builder()).master(master).appName("keel").getOrCreate();
    }

    static ModelSpec spec(CommonOptions common, String model, int batch) {
        return ModelSpec.of(model).withBackend(common.backend).withDevice(common.device).withMaxBatchSize(batch);
    }

    /** keel embed: the input read by Spark, vectors made on the executors, streamed in order into --out. */
    static int embed(EmbedCommand c, Console console) {
        if (!Files.isRegularFile(c.input)) {
            throw new InvalidInputException("input " + c.input + " does not exist; pass a UTF-8 text file, one sentence per line");
        }
        SparkSession spark = session(c.spark);
        ModelSpec spec = spec(c.common, c.common.model(c.model).toString(), c.batch);
        String backend = KeelSpark.backendName(spark, spec);
        console.say("embedding " + c.input + " with " + c.model + " on " + backend + " in Spark (" + spark.sparkContext().master()
                + ")");
        long start = System.nanoTime();
        Dataset<Row> lines = spark.read().text(c.input.toAbsolutePath().toString());
        Dataset<Row> vectors = new TextEmbedder(spec).setInputCol("value").setNormalize(c.normalize)
                .setMaxLength(c.maxLength).transform(lines);
        long[] countAndDim = new long[2];
        try {
            AtomicFiles.write(c.out, ch -> {
                Writer w = Channels.newWriter(ch, StandardCharsets.UTF_8);
                for (Iterator<Row> it = vectors.toLocalIterator(); it.hasNext(); ) {
                    Row r = it.next();
                    float[] v = SparkValues.floats(r, 1);
                    w.write(EmbedCommand.jsonLine(r.getString(0), v));
                    w.write('\n');
                    countAndDim[0]++;
                    countAndDim[1] = v.length;
                }
                w.flush();
            });
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("count", (int) countAndDim[0]);
        result.put("dim", (int) countAndDim[1]);
        result.put("sentences_per_s", countAndDim[0] / Math.max(seconds, 1e-9));
        result.put("backend", backend);
        result.put("out", c.out.toString());
        console.result(result);
        return 0;
    }

    /**
     * keel classify: the input read and parsed by Spark, predictions made on the executors. With --out the
     * predictions stream in file order to the driver, which writes them (atomically) and tallies the metrics as it
     * goes; without it each partition is tallied where it is and only the tallies (and the first predictions an
     * unlabelled run prints) reach the driver. The metrics are the same doubles either way (exact sums).
     */
    static int classify(ClassifyCommand c, Console console) {
        SparkSession spark = session(c.spark);
        ModelSpec spec = spec(c.common, c.model.toString(), 32);
        spec.checkOnDriver();
        LabelledText input = LabelledText.read(spark, c.input);
        c.requireConsistentLabels(input.firstLabelled(), input.firstUnlabelled());
        boolean labelled = input.firstLabelled() > 0;
        String backend = KeelSpark.backendName(spark, spec);
        Labels labels = Labels.of(KeelSpark.classLabels(spark, spec));
        List<String> names = new ArrayList<>(labels.names());
        String source = c.input.toString();
        if (labelled) {
            requireKnownLabels(input, labels, names, source);
        }
        long t0 = System.nanoTime();
        TextClassifier classifier = new TextClassifier(spec);
        Dataset<Row> out = classifier.transform(input.rows());
        StructType schema = out.schema();
        int[] col = {schema.fieldIndex(LabelledText.TEXT), schema.fieldIndex(LabelledText.LABEL),
            schema.fieldIndex(LabelledText.EXAMPLE), schema.fieldIndex(classifier.predictionCol()),
            schema.fieldIndex(classifier.indexCol()), schema.fieldIndex(classifier.confidenceCol()),
            schema.fieldIndex(classifier.probabilitiesCol())};
        ClassificationMetrics.Tally tally = labelled ? new ClassificationMetrics.Tally(names.size()) : null;
        List<String> shown = new ArrayList<>();
        long count = 0;
        try {
            if (c.out != null) {
                long total = input.count();
                long[] written = {0};
                AtomicFiles.write(c.out, ch -> {
                    Writer w = Channels.newWriter(ch, StandardCharsets.UTF_8);
                    for (Iterator<Row> it = out.toLocalIterator(); it.hasNext(); ) {
                        Row r = it.next();
                        Prediction p = prediction(r, col);
                        int gold = labelled ? labels.indexOf(r.getString(col[1]), source, (int) r.getLong(col[2])) : -1;
                        if (labelled) {
                            tally.add(gold, p.probabilities());
                        }
                        w.write(ClassifyCommand.predictionLine(r.getString(col[0]), p, labels, gold));
                        w.write('\n');
                        if (++written[0] % 10_000 == 0) {
                            console.progress(String.format("classified %d/%d in Spark", written[0], total));
                        }
                    }
                    w.flush();
                });
                count = written[0];
            } else {
                List<PartitionSummary> parts = out.javaRDD().mapPartitions(rows -> {
                    Labels known = Labels.of(names);
                    PartitionSummary sum = new PartitionSummary(labelled ? new ClassificationMetrics.Tally(names.size())
                            : null, new ArrayList<>());
                    while (rows.hasNext()) {
                        Row r = rows.next();
                        Prediction p = prediction(r, col);
                        if (labelled) {
                            sum.tally().add(known.indexOf(r.getString(col[1]), source, (int) r.getLong(col[2])),
                                    p.probabilities());
                        } else if (sum.first().size() < ClassifyCommand.SHOWN) {
                            sum.first().add(ClassifyCommand.shownLine(r.getString(col[0]), p));
                        }
                        sum.count()[0]++;
                    }
                    return List.of(sum).iterator();
                }).collect();
                for (PartitionSummary part : parts) { // in partition order, so the first shown are the file's first
                    count += part.count()[0];
                    if (labelled) {
                        tally.merge(part.tally());
                    }
                    part.first().stream().limit(ClassifyCommand.SHOWN - shown.size()).forEach(shown::add);
                }
            }
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
        console.endProgress();
        c.result(console, (int) count, labelled ? tally.metrics() : null, labels, shown, (System.nanoTime() - t0) / 1e9,
                backend);
        return 0;
    }

    private static Prediction prediction(Row r, int[] col) {
        return new Prediction(r.getString(col[3]), r.getInt(col[4]), r.getDouble(col[5]), SparkValues.doubles(r, col[6]));
    }

    /** One partition's share of a classify run without --out. */
    private record PartitionSummary(ClassificationMetrics.Tally tally, List<String> first, long[] count)
            implements java.io.Serializable {
        PartitionSummary(ClassificationMetrics.Tally tally, List<String> first) {
            this(tally, first, new long[1]);
        }
    }

    /**
     * Fails, before any model runs, when a gold label is not one of the model's, naming the first such example as
     * a local run does (each partition reports its first; the driver names the earliest).
     */
    private static void requireKnownLabels(LabelledText input, Labels labels, List<String> names, String source) {
        List<Row> bad;
        try {
            bad = input.rows().select(LabelledText.LABEL, LabelledText.EXAMPLE).javaRDD().mapPartitions(rows -> {
                Labels known = Labels.of(names);
                while (rows.hasNext()) {
                    Row r = rows.next();
                    try {
                        known.indexOf(r.getString(0), source, 0);
                    } catch (InvalidInputException e) {
                        return List.of(r).iterator();
                    }
                }
                return java.util.Collections.<Row>emptyIterator();
            }).collect();
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
        bad.stream().min(java.util.Comparator.comparingLong(r -> r.getLong(1)))
                .ifPresent(r -> labels.indexOf(r.getString(0), source, (int) r.getLong(1)));
    }

    /**
     * keel drift: both files read and parsed by Spark, the text descriptors and label counts aggregated on the
     * executors and tested by the monitors' code; with --model the first --max-embed texts of each side (taken in
     * file order) are embedded on the executors.
     */
    static DriftCommand.Samples drift(DriftCommand c, DriftMethod m, double threshold, Console console) {
        SparkSession spark = session(c.spark);
        LabelledText ref = LabelledText.read(spark, c.reference);
        LabelledText cur = LabelledText.read(spark, c.current);
        c.saySizes(console, ref.count(), cur.count());
        console.say("comparing in Spark (" + spark.sparkContext().master() + ")");
        DriftReport report = new SparkDrift().setLabelCol(LabelledText.LABEL).setMethod(m).setThreshold(threshold)
                .setDriftShare(c.driftShare).setSeed(c.common.seed).compare(ref.rows(), cur.rows()).text();
        float[][] va = null;
        float[][] vb = null;
        if (c.model != null) {
            va = embedForDrift(c, spark, firstTexts(ref, c.maxEmbed));
            vb = embedForDrift(c, spark, firstTexts(cur, c.maxEmbed));
        }
        return new DriftCommand.Samples(report, (int) ref.count(), (int) cur.count(), va, vb);
    }

    /** The first {@code n} texts in file order (RDD.take scans the partitions in order). */
    private static List<String> firstTexts(LabelledText data, int n) {
        try {
            return data.rows().select(LabelledText.TEXT).javaRDD().take(n).stream().map(r -> r.getString(0)).toList();
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
    }

    /** keel drift --model: the sample's vectors, embedded on the executors, in order. */
    private static float[][] embedForDrift(DriftCommand c, SparkSession spark, List<String> texts) {
        return new SparkDrift().setModel(spec(c.common, c.common.model(c.model).toString(), 32)).setMaxEmbed(Math.max(2, texts.size()))
                .embedFirst(texts(spark, texts), "text");
    }

    /** keel evaluate: blocks of the split scored on the executors; per-chunk sums added on the driver in order. */
    static int evaluate(EvaluateCommand c, Split split, Console console) {
        SparkSession spark = session(c.spark);
        Path folder = c.common.modelFolder(c.model);
        ModelConfig config = ModelFolder.readConfig(folder);
        if (!(config instanceof Gpt2Config g)) {
            throw new InvalidInputException(folder + " is a " + config.family() + " model; evaluate needs a causal LM (gpt2)");
        }
        TokenArray tokens = CorpusTokenizer.tokenize(TextCorpus.of(c.corpus).requireExists(), Tokenizers.load(folder))
                .split(split);
        ModelSpec spec = spec(c.common, folder.toString(), 32);
        console.say("evaluating " + c.model + " on the " + c.split + " split of " + c.corpus + " in Spark ("
                + spark.sparkContext().master() + ")");
        long start = System.nanoTime();
        double[] lossAndCount;
        try {
            lossAndCount = SparkEvaluation.blockLoss(spark, spec, tokens, g.nPositions());
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double mean = lossAndCount[0] / lossAndCount[1];
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("loss", mean);
        json.put("perplexity", Math.exp(mean));
        json.put("tokens", (long) lossAndCount[1]);
        json.put("tokens_per_s", lossAndCount[1] / Math.max(seconds, 1e-9));
        console.result(json);
        return 0;
    }

    private static Dataset<Row> texts(SparkSession spark, List<String> texts) {
        StructType schema = new StructType().add("text", DataTypes.StringType);
        return spark.createDataFrame(texts.stream().map(RowFactory::create).toList(), schema);
    }
}
