package dev.keel.iterate.eval;

import dev.keel.api.Device;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.BertConfig;
import dev.keel.api.tokenize.Tokenizer;
import java.util.List;
import java.util.function.Predicate;

/**
 * A two-class classifier given by a rule, so that gate arithmetic can be checked against figures worked out
 * by hand (it stands in for a trained model's answers, not for an engine: the engine paths are covered by the
 * loop's end-to-end tests on real models). Predicts "1" with confidence 0.9 when the rule holds, else "0".
 */
final class RuleClassifier implements InferenceSession {
    private final Predicate<String> positive;

    RuleClassifier(Predicate<String> positive) {
        this.positive = positive;
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo(BertConfig.miniLmL6().withLabels(List.of("0", "1")), "rule", Device.cpu(), "rule", null);
    }

    @Override
    public Tokenizer tokenizer() {
        throw new UnsupportedOperationException("a rule has no tokenizer");
    }

    @Override
    public ClassificationResult classify(List<String> texts) {
        return new ClassificationResult("rule", texts.stream().map(t -> positive.test(t)
                ? new Prediction("1", 1, 0.9, new double[] {0.1, 0.9})
                : new Prediction("0", 0, 0.9, new double[] {0.9, 0.1})).toList());
    }

    @Override
    public void close() { }
}
