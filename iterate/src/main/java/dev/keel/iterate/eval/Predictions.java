package dev.keel.iterate.eval;

import dev.keel.adapters.ClassificationData;
import dev.keel.adapters.ClassificationMetrics;
import dev.keel.adapters.HeadSession;
import dev.keel.adapters.Labels;
import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.api.model.BertConfig;
import dev.keel.iterate.data.LabelledRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A classifier's predictions and its quality on labelled rows, as every gate of a round measures them. */
public final class Predictions {
    /** Texts per classify call, so an evaluation set never becomes one huge engine batch. */
    static final int CHUNK = 128;

    private Predictions() { }

    /** The classes a session predicts, in output order; fails when the session is not a classifier. */
    public static Labels labels(InferenceSession session) {
        if (session instanceof HeadSession head) {
            return head.labels(); // a head over a gpt2 base: the base's config names no labels
        }
        if (session.info().config() instanceof BertConfig b && !b.labels().isEmpty()) {
            return Labels.of(b.labels());
        }
        throw new InvalidInputException(session.info().location() + " is not a classifier; a round iterates models "
                + "adapted with keel adapt --task classify");
    }

    public static List<Prediction> of(InferenceSession session, List<String> texts) {
        List<Prediction> out = new ArrayList<>(texts.size());
        for (int start = 0; start < texts.size(); start += CHUNK) {
            out.addAll(session.classify(texts.subList(start, Math.min(texts.size(), start + CHUNK))).predictions());
        }
        return out;
    }

    /** Accuracy, macro-F1, expected calibration error, loss and the row count on labelled rows. */
    public static Map<String, Double> quality(InferenceSession session, Labels labels, List<LabelledRow> rows,
            String setName) {
        List<LabelledExample> examples = rows.stream().map(r -> new LabelledExample(r.text(), r.label())).toList();
        int[] gold = ClassificationData.of(examples, labels, setName).labels();
        List<Prediction> p = of(session, examples.stream().map(LabelledExample::text).toList());
        ClassificationMetrics m = ClassificationMetrics.of(gold, p.stream().map(Prediction::probabilities)
                .toArray(double[][]::new));
        Map<String, Double> out = new LinkedHashMap<>(m.toMap(""));
        out.put("count", (double) rows.size());
        return out;
    }
}
