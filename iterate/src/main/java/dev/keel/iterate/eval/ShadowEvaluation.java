package dev.keel.iterate.eval;

import dev.keel.adapters.Labels;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Prediction;
import dev.keel.api.iterate.CapturedInput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shadow evaluation: both models replay the same recently served inputs. The challenger's agreement is the
 * share of inputs it labels as the champion does; accuracy counts the inputs whose feedback gives a label
 * (label, correction, thumbs; {@link CapturedInput#goldLabel}). The champion's agreement with itself is 1.
 */
public final class ShadowEvaluation {
    public static final String AGREEMENT = "shadow_agreement";
    public static final String ACCURACY = "shadow_accuracy";

    private ShadowEvaluation() { }

    /**
     * @param champion   the serving model (null in a first round: then agreement is not measured)
     * @param challenger the new model
     * @param inputs     the replayed inputs
     * @param labels     the models' labels (to resolve thumbs-down feedback)
     * @return role ({@code champion}, {@code challenger}) -> metric -> value
     */
    public static Map<String, Map<String, Double>> measure(InferenceSession champion, InferenceSession challenger,
            List<CapturedInput> inputs, Labels labels) {
        List<String> texts = inputs.stream().map(CapturedInput::text).toList();
        List<Prediction> ch = Predictions.of(challenger, texts);
        List<Prediction> base = champion == null ? null : Predictions.of(champion, texts);
        int agree = 0;
        int labelled = 0;
        int chRight = 0;
        int baseRight = 0;
        for (int i = 0; i < inputs.size(); i++) {
            if (base != null && base.get(i).label().equals(ch.get(i).label())) {
                agree++;
            }
            String gold = inputs.get(i).goldLabel(labels.names());
            if (gold != null) {
                labelled++;
                chRight += gold.equals(ch.get(i).label()) ? 1 : 0;
                baseRight += base != null && gold.equals(base.get(i).label()) ? 1 : 0;
            }
        }
        int n = inputs.size();
        Map<String, Double> c = new LinkedHashMap<>();
        c.put(AGREEMENT, base == null || n == 0 ? Double.NaN : (double) agree / n);
        c.put(ACCURACY, labelled == 0 ? Double.NaN : (double) chRight / labelled);
        c.put("inputs", (double) n);
        c.put("labelled", (double) labelled);
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        if (base != null) {
            Map<String, Double> b = new LinkedHashMap<>();
            b.put(AGREEMENT, n == 0 ? Double.NaN : 1.0);
            b.put(ACCURACY, labelled == 0 ? Double.NaN : (double) baseRight / labelled);
            b.put("inputs", (double) n);
            b.put("labelled", (double) labelled);
            out.put("champion", b);
        }
        out.put("challenger", c);
        return out;
    }
}
