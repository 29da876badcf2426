package dev.keel.spark;

import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.HeadSession;
import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.BertConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Scores an adapted classifier on a labelled dataset: the metrics {@code keel classify} reports for a
 * labelled file (accuracy, macro-F1, expected calibration error, mean loss, the confusion matrix), computed
 * as a Spark aggregation: each partition tallies its rows ({@link ClassificationMetrics.Tally}) and the
 * tallies are merged in a tree, so only one small tally per partition reaches the driver, never the rows.
 */
public final class ClassificationEvaluator implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Set<DataType> LABEL_TYPES = Set.of(DataTypes.StringType, DataTypes.IntegerType,
            DataTypes.LongType, DataTypes.ShortType, DataTypes.ByteType);
    private final ModelSpec model;
    private String textCol = "text";
    private String labelCol = "label";
    private int batchRows = 256;

    public ClassificationEvaluator(ModelSpec model) {
        this.model = model;
    }

    public ClassificationEvaluator setTextCol(String name) {
        textCol = name;
        return this;
    }

    /** The gold label column: label names as strings, or integers (default {@code label}). */
    public ClassificationEvaluator setLabelCol(String name) {
        labelCol = name;
        return this;
    }

    public ClassificationEvaluator setBatchRows(int n) {
        batchRows = n;
        return this;
    }

    /** The metrics and the model's labels, which name the confusion matrix's rows and columns. */
    public record Result(ClassificationMetrics metrics, List<String> labels) implements Serializable {
        public String confusionTable() {
            return metrics.confusionTable(Labels.of(labels));
        }
    }

    public Result evaluate(Dataset<?> data) {
        StructField label = TextColumns.require(data.schema(), labelCol, "label");
        if (!LABEL_TYPES.contains(label.dataType())) {
            throw new InvalidInputException("the label column '" + labelCol + "' holds " + label.dataType().simpleString()
                    + "; labels must be strings (class names) or integers");
        }
        TextClassifier classifier = new TextClassifier(model).setInputCol(textCol).setBatchRows(batchRows)
                .setPrefix("__keel_");
        Dataset<Row> scored = classifier.transform(data).select(labelCol, classifier.probabilitiesCol());
        ModelSpec spec = model;
        String column = labelCol;
        FlatMapFunction<Iterator<Row>, PartitionTally> tally = rows -> {
            List<String> names = labels(ExecutorModels.session(spec));
            Labels labels = Labels.of(names);
            ClassificationMetrics.Tally t = new ClassificationMetrics.Tally(names.size());
            while (rows.hasNext()) {
                Row r = rows.next();
                if (r.isNullAt(0)) {
                    throw new InvalidInputException("the label column '" + column + "' holds a null; every row to "
                            + "evaluate needs a gold label (filter the nulls out first)");
                }
                if (r.isNullAt(1)) {
                    throw new InvalidInputException("the text column of a labelled row is null; every row to evaluate "
                            + "needs a text (filter the nulls out first)");
                }
                String gold = String.valueOf(r.get(0)).trim();
                if (!names.contains(gold)) {
                    throw new InvalidInputException("the label column '" + column + "' holds '" + gold + "', which "
                            + "the model does not know (its labels: " + names + "); fix the label, or adapt the model "
                            + "on data that has it");
                }
                t.add(labels.indexOf(gold, column, 0), SparkValues.doubles(r, 1));
            }
            List<PartitionTally> out = new ArrayList<>(1);
            out.add(new PartitionTally(names, t));
            return out.iterator();
        };
        PartitionTally total;
        try {
            total = scored.javaRDD().mapPartitions(tally).treeReduce(PartitionTally::merge);
        } catch (Exception e) { // Spark throws its checked SparkException undeclared
            throw KeelSpark.unwrap(e);
        }
        if (total.tally().count() == 0) {
            throw new InvalidInputException("the dataset to evaluate has no rows");
        }
        return new Result(total.tally().metrics(), total.labels());
    }

    /** The class names of an adapted classifier, in output order; fails when the model is not one. */
    static List<String> labels(InferenceSession session) {
        if (session instanceof HeadSession head) {
            return head.labels().names();
        }
        if (session.info().config() instanceof BertConfig b && !b.labels().isEmpty()) {
            return b.labels();
        }
        throw new InvalidInputException(session.info().config().family() + " model on " + session.info().backend()
                + " is not a classifier; adapt it with keel adapt --task classify");
    }

    /** One partition's tally with the labels it was counted against. */
    private record PartitionTally(List<String> labels, ClassificationMetrics.Tally tally) implements Serializable {
        PartitionTally merge(PartitionTally other) {
            return new PartitionTally(labels, tally.merge(other.tally));
        }
    }
}
