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
        double expectedCalibrationError, double loss) implements java.io.Serializable {

    public static final int CALIBRATION_BINS = 10;

    /** Metrics from gold indices and predicted probabilities ({@code [examples][classes]}). */
    public static ClassificationMetrics of(int[] gold, double[][] probabilities) {
        if (gold.length != probabilities.length || gold.length == 0) {
            throw new InvalidInputException("metrics need one probability row per gold label and at least one "
                    + "example; got " + gold.length + " labels and " + probabilities.length + " rows");
        }
        Tally tally = new Tally(probabilities[0].length);
        for (int i = 0; i < gold.length; i++) {
            tally.add(gold[i], probabilities[i]);
        }
        return tally.metrics();
    }

    /**
     * The running sums behind the metrics, so they can be counted where the data lives and merged (a Spark
     * aggregation): counts are integers and the calibration and loss sums are exact ({@link ExactSum}), so the
     * metrics are the same doubles whatever the order and grouping of the examples.
     */
    public static final class Tally implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final int[][] confusion;
        private final ExactSum[] binConfidence = new ExactSum[CALIBRATION_BINS];
        private final double[] binCorrect = new double[CALIBRATION_BINS];
        private final int[] binCount = new int[CALIBRATION_BINS];
        private int count;
        private int correct;
        private final ExactSum loss = new ExactSum();

        public Tally(int classes) {
            if (classes < 1) {
                throw new InvalidInputException("metrics need at least one class, got " + classes);
            }
            confusion = new int[classes][classes];
            for (int b = 0; b < CALIBRATION_BINS; b++) {
                binConfidence[b] = new ExactSum();
            }
        }

        /** Adds one example: its gold class index and the predicted probabilities in label order. */
        public Tally add(int gold, double[] p) {
            if (p.length != confusion.length || gold < 0 || gold >= confusion.length) {
                throw new InvalidInputException("an example needs a gold index in [0, " + confusion.length + ") and "
                        + confusion.length + " probabilities; got " + gold + " and " + p.length);
            }
            int pred = argmax(p);
            confusion[gold][pred]++;
            boolean right = pred == gold;
            correct += right ? 1 : 0;
            loss.add(-Math.log(Math.max(p[gold], 1e-12)));
            int bin = Math.min(CALIBRATION_BINS - 1, (int) (p[pred] * CALIBRATION_BINS));
            binConfidence[bin].add(p[pred]);
            binCorrect[bin] += right ? 1 : 0;
            binCount[bin]++;
            count++;
            return this;
        }

        /** Adds another tally's examples to this one. */
        public Tally merge(Tally other) {
            if (other.confusion.length != confusion.length) {
                throw new InvalidInputException("cannot merge metrics of " + other.confusion.length + " and "
                        + confusion.length + " classes");
            }
            for (int i = 0; i < confusion.length; i++) {
                for (int j = 0; j < confusion.length; j++) {
                    confusion[i][j] += other.confusion[i][j];
                }
            }
            for (int b = 0; b < CALIBRATION_BINS; b++) {
                binConfidence[b].add(other.binConfidence[b]);
                binCorrect[b] += other.binCorrect[b];
                binCount[b] += other.binCount[b];
            }
            count += other.count;
            correct += other.correct;
            loss.add(other.loss);
            return this;
        }

        public int count() {
            return count;
        }

        public ClassificationMetrics metrics() {
            if (count == 0) {
                throw new InvalidInputException("metrics need at least one example; got none");
            }
            int k = confusion.length;
            double ece = 0;
            for (int b = 0; b < CALIBRATION_BINS; b++) {
                if (binCount[b] > 0) {
                    ece += Math.abs(binCorrect[b] - binConfidence[b].value()) / count;
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
            int[][] copy = new int[k][];
            for (int i = 0; i < k; i++) {
                copy[i] = confusion[i].clone();
            }
            return new ClassificationMetrics(count, (double) correct / count, f1Sum / present, f1, copy, ece,
                    loss.value() / count);
        }
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
