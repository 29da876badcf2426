package dev.keel.spark;

import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.InferenceSession;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Batch completions of a causal LM: each row's text is the prompt; appends the generated text
 * ({@code completion}), its token count ({@code completion_tokens}), why it stopped ({@code stop_reason})
 * and the inference id. Sampling is seeded per request, so a row's completion repeats exactly.
 */
public final class TextGenerator extends TextTransformer<TextGenerator> {
    private static final long serialVersionUID = 1L;
    private int maxTokens = 50;
    private double temperature = 0;
    private int topK = 0;
    private double topP = 1;
    private long seed = 1337;

    public TextGenerator(ModelSpec model) {
        super(model);
    }

    public TextGenerator setMaxTokens(int n) {
        maxTokens = n;
        return this;
    }

    /** Softmax temperature; 0 (the default) decodes greedily. */
    public TextGenerator setTemperature(double t) {
        temperature = t;
        return this;
    }

    public TextGenerator setTopK(int k) {
        topK = k;
        return this;
    }

    public TextGenerator setTopP(double p) {
        topP = p;
        return this;
    }

    public TextGenerator setSeed(long s) {
        seed = s;
        return this;
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(field("completion", DataTypes.StringType), field("completion_tokens", DataTypes.IntegerType),
                field("stop_reason", DataTypes.StringType), field("inference_id", DataTypes.StringType));
    }

    private GenerationRequest request(String prompt) {
        return GenerationRequest.builder().prompt(prompt).maxTokens(maxTokens).temperature(temperature).topK(topK)
                .topP(topP).seed(seed).build();
    }

    @Override
    public org.apache.spark.sql.types.StructType transformSchema(org.apache.spark.sql.types.StructType schema) {
        request(""); // invalid sampling settings fail here, on the driver
        return super.transformSchema(schema);
    }

    @Override
    protected List<Object[]> apply(InferenceSession session, List<String> texts) {
        List<Object[]> out = new ArrayList<>(texts.size());
        for (String prompt : texts) {
            GenerationResult r = session.generate(request(prompt));
            out.add(new Object[] {r.text(), r.tokens().length, r.stopReason().label(), r.inferenceId()});
        }
        return out;
    }
}
