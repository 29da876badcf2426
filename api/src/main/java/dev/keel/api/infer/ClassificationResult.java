package dev.keel.api.infer;

import java.util.List;

/** Predictions for a batch of texts, with the id to attach feedback to. */
public record ClassificationResult(String inferenceId, List<Prediction> predictions) { }
