package dev.keel.api.infer;

/**
 * One classified text.
 *
 * @param label         the predicted class name
 * @param index         the predicted class index
 * @param confidence    the predicted class's probability
 * @param probabilities every class's probability, in label order
 */
public record Prediction(String label, int index, double confidence, double[] probabilities) { }
