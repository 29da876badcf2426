package dev.keel.cli;

import dev.keel.adapters.ClassificationData;
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

    /** keel classify: predictions made on the executors, written and scored as a local run writes and scores them. */
    static int classify(ClassifyCommand c, List<LabelledExample> examples, boolean labelled, Console console) {
        SparkSession spark = session(c.spark);
        ModelSpec spec = spec(c.common, c.model.toString(), 32);
        spec.checkOnDriver();
        String backend = KeelSpark.backendName(spark, spec);
        Labels labels = Labels.of(KeelSpark.classLabels(spark, spec));
        int[] gold = labelled ? ClassificationData.of(examples, labels, c.input.toString()).labels() : null;
        long t0 = System.nanoTime();
        TextClassifier classifier = new TextClassifier(spec);
        Dataset<Row> out = classifier.transform(texts(spark, examples.stream().map(LabelledExample::text).toList()));
        List<Prediction> predictions = new ArrayList<>(examples.size());
        try {
            for (Iterator<Row> it = out.toLocalIterator(); it.hasNext(); ) {
                Row r = it.next();
                predictions.add(new Prediction(r.getString(1), r.getInt(2), r.getDouble(3), SparkValues.doubles(r, 4)));
                if (predictions.size() % 10_000 == 0) {
                    console.progress(String.format("classified %d/%d in Spark", predictions.size(), examples.size()));
                }
            }
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
        console.endProgress();
        c.report(console, examples, labelled, predictions, labels, gold, (System.nanoTime() - t0) / 1e9, backend);
        return 0;
    }

    /** keel drift's text tests: descriptors and label counts aggregated by Spark, tested by the monitors' code. */
    static DriftReport textDrift(DriftCommand c, List<LabelledExample> ref, List<LabelledExample> cur, DriftMethod m,
            double threshold, Console console) {
        SparkSession spark = session(c.spark);
        console.say("comparing in Spark (" + spark.sparkContext().master() + ")");
        return new SparkDrift().setLabelCol("label").setMethod(m).setThreshold(threshold).setDriftShare(c.driftShare)
                .setSeed(c.common.seed).compare(labelled(spark, ref), labelled(spark, cur)).text();
    }

    /** keel drift --model: the sample's vectors, embedded on the executors, in order. */
    static float[][] embedForDrift(DriftCommand c, List<String> texts) {
        SparkSession spark = session(c.spark);
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

    private static Dataset<Row> labelled(SparkSession spark, List<LabelledExample> examples) {
        StructType schema = new StructType().add("text", DataTypes.StringType).add("label", DataTypes.StringType);
        return spark.createDataFrame(examples.stream().map(e -> RowFactory.create(e.text(), e.label())).toList(), schema);
    }
}
