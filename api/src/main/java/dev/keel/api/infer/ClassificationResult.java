package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.List;
import org.apiguardian.api.API;

/**
 * Predictions for a batch of texts, in input order, with the id to attach feedback to (feedback on the k-th
 * text names {@code inferenceId + "#" + k}). Immutable: the list is copied.
 *
 * @param inferenceId the id of the call
 * @param predictions one prediction per text
 */
@API(status = STABLE, since = "0.1")
public record ClassificationResult(String inferenceId, List<Prediction> predictions) {
    /**
     * @throws InvalidInputException when the id or the predictions (or one of them) are null
     */
    public ClassificationResult {
        if (inferenceId == null) {
            throw new InvalidInputException("inferenceId is null; every result carries the id of its call");
        }
        if (predictions == null || predictions.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidInputException("predictions must be a list without nulls, one per text");
        }
        predictions = List.copyOf(predictions);
    }
}
