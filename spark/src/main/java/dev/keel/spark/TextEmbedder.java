package dev.keel.spark;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/** Appends sentence vectors ({@code array<float>}, default column {@code embedding}) as {@code keel embed} computes them. */
public final class TextEmbedder extends TextTransformer<TextEmbedder> {
    private static final long serialVersionUID = 1L;
    private String outputCol = "embedding";
    private boolean normalize = true;
    private int maxLength = 256;

    public TextEmbedder(ModelSpec model) {
        super(model);
    }

    public TextEmbedder setOutputCol(String name) {
        outputCol = name;
        return this;
    }

    /** L2-normalise the vectors (default true, as {@code keel embed}). */
    public TextEmbedder setNormalize(boolean v) {
        normalize = v;
        return this;
    }

    /** Tokens per text at most (default 256). */
    public TextEmbedder setMaxLength(int n) {
        if (n <= 0) {
            throw new InvalidInputException("max length must be positive, got " + n);
        }
        maxLength = n;
        return this;
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(field(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false)));
    }

    @Override
    protected List<Object[]> apply(InferenceSession session, List<String> texts) {
        float[][] vectors = session.embed(texts, new EmbeddingOptions(normalize, maxLength)).vectors();
        List<Object[]> out = new ArrayList<>(vectors.length);
        for (float[] v : vectors) {
            out.add(new Object[] {SparkValues.floats(v)});
        }
        return out;
    }
}
