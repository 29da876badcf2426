package dev.keel.spark;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.KeelException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.monitors.builtin.PerplexityScorer;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

/**
 * Entry points for hosts that use Keel on Spark: session settings, Spark SQL functions, and turning a failed
 * Spark job back into the Keel error that caused it.
 */
public final class KeelSpark {
    private KeelSpark() { }

    /**
     * Adds Keel's executor plugin (models closed when an executor stops) to a session builder, keeping any
     * plugins already configured there.
     */
    public static SparkSession.Builder configure(SparkSession.Builder builder) {
        return builder.config("spark.plugins", KeelSparkPlugin.class.getName());
    }

    /**
     * A session for {@code local[N]} on this machine: bound to 127.0.0.1, no web UI, few shuffle partitions
     * (the defaults suit a cluster, not a laptop), with Keel's plugin.
     */
    public static SparkSession local(String master, String appName) {
        return configure(SparkSession.builder()).master(master).appName(appName)
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /**
     * Registers Spark SQL functions over one model, named with {@code prefix} ({@code keel} gives
     * {@code keel_embed(text)}, {@code keel_classify(text)}, {@code keel_generate(prompt)} and
     * {@code keel_score(text)}). A SQL function sees one row at a time; the transformers
     * ({@link TextEmbedder}, ...) batch rows and are the faster way over large tables. A function the model
     * cannot serve (generate with an encoder) fails with Keel's unsupported-capability message when called.
     */
    public static void registerFunctions(SparkSession spark, String prefix, ModelSpec model) {
        UDF1<String, scala.collection.Seq<Object>> embed = text -> text == null ? null : SparkValues.floats(
                ExecutorModels.session(model).embed(List.of(text), EmbeddingOptions.defaults()).vectors()[0]);
        UDF1<String, String> classify = text -> text == null ? null
                : ExecutorModels.session(model).classify(List.of(text)).predictions().get(0).label();
        UDF1<String, String> generate = prompt -> prompt == null ? null
                : ExecutorModels.session(model).generate(GenerationRequest.builder().prompt(prompt).maxTokens(50)
                        .greedy().build()).text();
        UDF1<String, Double> score = text -> {
            if (text == null) {
                return null;
            }
            InferenceSession s = ExecutorModels.session(model);
            int context = s.info().config() instanceof Gpt2Config g ? g.nPositions() : Integer.MAX_VALUE;
            double[] loss = PerplexityScorer.sequenceLoss(s, s.tokenizer().encode(text), context);
            return loss[1] == 0 ? null : loss[0] / loss[1];
        };
        model.checkOnDriver();
        spark.udf().register(prefix + "_embed", embed, DataTypes.createArrayType(DataTypes.FloatType, false));
        spark.udf().register(prefix + "_classify", classify, DataTypes.StringType);
        spark.udf().register(prefix + "_generate", generate, DataTypes.StringType);
        spark.udf().register(prefix + "_score", score, DataTypes.DoubleType);
    }

    /**
     * The name of the backend that serves {@code model} on the executors, asked of an executor (which opens
     * the model it is about to need anyway) rather than the driver, which may not see the model at all.
     */
    public static String backendName(SparkSession spark, ModelSpec model) {
        return probe(spark, model, s -> s.info().backend());
    }

    /** The class names of an adapted classifier, in output order, asked of an executor. */
    public static List<String> classLabels(SparkSession spark, ModelSpec model) {
        return List.of(probe(spark, model, s -> String.join("\u0000", ClassificationEvaluator.labels(s)))
                .split("\u0000"));
    }

    private static String probe(SparkSession spark, ModelSpec model, SerializableFunction question) {
        model.checkOnDriver();
        try {
            return spark.createDataset(List.of(0), Encoders.INT())
                    .map((MapFunction<Integer, String>) x -> question.apply(ExecutorModels.session(model)),
                            Encoders.STRING())
                    .first();
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw unwrap(e);
        }
    }

    private interface SerializableFunction extends java.io.Serializable {
        String apply(InferenceSession session);
    }

    /**
     * The Keel error inside a failed Spark job (Spark wraps a task's exception in its own), so callers see
     * "the text column 'x' ..." rather than "Job aborted due to stage failure"; other failures as they are.
     */
    public static RuntimeException unwrap(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof KeelException k) {
                return k;
            }
        }
        // a task's exception does not always travel as the cause; Spark's message then holds "class: message"
        java.util.regex.Matcher m = TASK_FAILURE.matcher(String.valueOf(failure.getMessage()));
        if (m.find()) {
            String message = m.group(2);
            return switch (m.group(1)) {
                case "InvalidInputException" -> new InvalidInputException(message, failure);
                case "CheckpointException" -> new CheckpointException(message, failure);
                case "UnsupportedCapabilityException" -> new UnsupportedCapabilityException(message);
                default -> new KeelException(message, failure);
            };
        }
        return failure instanceof RuntimeException r ? r : new KeelException(failure.getMessage(), failure);
    }

    private static final java.util.regex.Pattern TASK_FAILURE =
            java.util.regex.Pattern.compile("dev\\.keel\\.api\\.(\\w+): ([^\\n]*)");
}
