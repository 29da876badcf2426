package dev.keel.adapters;

import dev.keel.api.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quality of a classifier on labelled data: accuracy, macro-F1 (the mean of per-class F1 over the classes
 * that occur in the gold labels or the predictions, as scikit-learn averages), the confusion matrix
 * ({@code [gold][predicted]}), mean cross-entropy, and expected calibration error over
 * {@value #CALIBRATION_BINS} equal-width confidence bins.
 */
public record ClassificationMetrics(int count, double accuracy, double macroF1, double[] f1, int[][] confusion,
        double expectedCalibrationError, double loss) {

    public static final int CALIBRATION_BINS = 10;

    /** Metrics from gold indices and predicted probabilities ({@code [examples][classes]}). */
    public static ClassificationMetrics of(int[] gold, double[][] probabilities) {
        if (gold.length != probabilities.length || gold.length == 0) {
            throw new InvalidInputException("metrics need one probability row per gold label and at least one "
                    + "example; got " + gold.length + " labels and " + probabilities.length + " rows");
        }
        int k = probabilities[0].length;
        int[][] confusion = new int[k][k];
        double[] binConfidence = new double[CALIBRATION_BINS];
        double[] binCorrect = new double[CALIBRATION_BINS];
        int[] binCount = new int[CALIBRATION_BINS];
        int correct = 0;
        double loss = 0;
        for (int i = 0; i < gold.length; i++) {
            double[] p = probabilities[i];
            int pred = argmax(p);
            confusion[gold[i]][pred]++;
            boolean right = pred == gold[i];
            correct += right ? 1 : 0;
            loss -= Math.log(Math.max(p[gold[i]], 1e-12));
            int bin = Math.min(CALIBRATION_BINS - 1, (int) (p[pred] * CALIBRATION_BINS));
            binConfidence[bin] += p[pred];
            binCorrect[bin] += right ? 1 : 0;
            binCount[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < CALIBRATION_BINS; b++) {
            if (binCount[b] > 0) {
                ece += Math.abs(binCorrect[b] - binConfidence[b]) / gold.length;
            }
        }
        double[] f1 = new double[k];
        double f1Sum = 0;
        int present = 0;
        for (int c = 0; c < k; c++) {
            int tp = confusion[c][c];
            int goldC = 0;
            int predC = 0;
            for (int j = 0; j < k; j++) {
                goldC += confusion[c][j];
                predC += confusion[j][c];
            }
            f1[c] = goldC + predC == 0 ? 0 : 2.0 * tp / (goldC + predC);
            if (goldC + predC > 0) {
                f1Sum += f1[c];
                present++;
            }
        }
        return new ClassificationMetrics(gold.length, (double) correct / gold.length, f1Sum / present, f1, confusion,
                ece, loss / gold.length);
    }

    public static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The scalar figures, with the names the CLI and keel.json use. */
    public Map<String, Double> toMap(String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(prefix + "accuracy", accuracy);
        m.put(prefix + "macro_f1", macroF1);
        m.put(prefix + "ece", expectedCalibrationError);
        m.put(prefix + "loss", loss);
        return m;
    }

    /** The confusion matrix as text rows, gold down the side and predictions across. */
    public String confusionTable(Labels labels) {
        StringBuilder sb = new StringBuilder("gold \\ predicted");
        for (String n : labels.names()) {
            sb.append('\t').append(n);
        }
        for (int i = 0; i < confusion.length; i++) {
            sb.append('\n').append(labels.name(i));
            for (int v : confusion[i]) {
                sb.append('\t').append(v);
            }
        }
        return sb.toString();
    }
}
