package dev.keel.spark;

import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Appends an adapted classifier's predictions, as {@code keel classify} makes them: the label
 * ({@code prediction}), its index ({@code prediction_index}), its probability ({@code confidence}), every
 * class's probability in label order ({@code probabilities}, {@code array<double>}) and the inference id
 * that feedback refers to ({@code inference_id}, one per batch of rows). The names avoid {@code label},
 * which labelled data already uses for the gold answer; {@link #setPrefix} changes them.
 */
public final class TextClassifier extends TextTransformer<TextClassifier> {
    private static final long serialVersionUID = 1L;
    private String prefix = "";

    public TextClassifier(ModelSpec model) {
        super(model);
    }

    /** Puts {@code prefix} before every output column's name (e.g. {@code "m1_"}). */
    public TextClassifier setPrefix(String p) {
        prefix = p == null ? "" : p;
        return this;
    }

    public String predictionCol() {
        return prefix + "prediction";
    }

    public String indexCol() {
        return prefix + "prediction_index";
    }

    public String confidenceCol() {
        return prefix + "confidence";
    }

    public String probabilitiesCol() {
        return prefix + "probabilities";
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(field(predictionCol(), DataTypes.StringType), field(indexCol(), DataTypes.IntegerType),
                field(confidenceCol(), DataTypes.DoubleType),
                field(probabilitiesCol(), DataTypes.createArrayType(DataTypes.DoubleType, false)),
                field(prefix + "inference_id", DataTypes.StringType));
    }

    @Override
    protected List<Object[]> apply(InferenceSession session, List<String> texts) {
        ClassificationResult r = session.classify(texts);
        List<Object[]> out = new ArrayList<>(texts.size());
        for (Prediction p : r.predictions()) {
            out.add(new Object[] {p.label(), p.index(), p.confidence(), SparkValues.doubles(p.probabilities()),
                r.inferenceId()});
        }
        return out;
    }
}
