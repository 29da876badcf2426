package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Arrays;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * One classified text. Immutable: the probabilities are copied when the prediction is made and
 * {@link #probabilities()} returns a copy; {@link #probability(int)} reads one class without copying.
 * Two predictions are equal when every component, each probability included, is equal.
 *
 * @param label         the predicted class name
 * @param index         the predicted class index
 * @param confidence    the predicted class's probability
 * @param probabilities every class's probability, in label order
 */
@API(status = STABLE, since = "0.1")
public record Prediction(String label, int index, double confidence, double[] probabilities) {
    /**
     * @throws InvalidInputException when the label or the probabilities are null, or the index is not one of
     *         the probabilities' classes
     */
    public Prediction {
        if (label == null) {
            throw new InvalidInputException("label is null; a prediction names its class");
        }
        if (probabilities == null) {
            throw new InvalidInputException("probabilities is null; pass one probability per class");
        }
        if (index < 0 || index >= probabilities.length) {
            throw new InvalidInputException("index " + index + " is not a class of the " + probabilities.length
                    + " probabilities; it must be in [0, " + probabilities.length + ")");
        }
        probabilities = probabilities.clone();
    }

    /** A copy of every class's probability, in label order. */
    @Override
    public double[] probabilities() {
        return probabilities.clone();
    }

    /** The probability of class {@code k}. */
    public double probability(int k) {
        return probabilities[k];
    }

    /** How many classes the model has. */
    public int classes() {
        return probabilities.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prediction p && label.equals(p.label) && index == p.index
                && Double.compare(confidence, p.confidence) == 0 && Arrays.equals(probabilities, p.probabilities);
    }

    @Override
    public int hashCode() {
        return Objects.hash(label, index, confidence, Arrays.hashCode(probabilities));
    }

    @Override
    public String toString() {
        return "Prediction[label=" + label + ", index=" + index + ", confidence=" + confidence + ", probabilities="
                + Arrays.toString(probabilities) + "]";
    }
}
