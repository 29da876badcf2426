package dev.keel.spark;

import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.monitors.builtin.PerplexityScorer;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Per-row loss under a causal LM: appends the mean next-token cross-entropy in nats ({@code loss}), its
 * exponential ({@code perplexity}) and the tokens scored ({@code tokens}). A text longer than the model's
 * context is scored in non-overlapping windows, as {@code keel evaluate} cuts a corpus into blocks; a text
 * of fewer than two tokens has nothing to predict and gets null loss and 0 tokens.
 */
public final class TextScorer extends TextTransformer<TextScorer> {
    private static final long serialVersionUID = 1L;

    public TextScorer(ModelSpec model) {
        super(model);
    }

    @Override
    protected List<StructField> outputFields() {
        return List.of(field("loss", DataTypes.DoubleType), field("perplexity", DataTypes.DoubleType),
                field("tokens", DataTypes.IntegerType));
    }

    @Override
    protected List<Object[]> apply(InferenceSession session, List<String> texts) {
        if (!(session.info().config() instanceof Gpt2Config g)) {
            throw new UnsupportedCapabilityException("scoring needs a causal LM (gpt2); " + model().model() + " is a "
                    + session.info().config().family() + " model");
        }
        List<Object[]> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            double[] loss = PerplexityScorer.sequenceLoss(session, session.tokenizer().encode(text), g.nPositions());
            if (loss[1] == 0) {
                out.add(new Object[] {null, null, 0});
            } else {
                double mean = loss[0] / loss[1];
                out.add(new Object[] {mean, Math.exp(mean), (int) loss[1]});
            }
        }
        return out;
    }
}
