package dev.keel.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** The lifecycle stages a backend can serve. */
@API(status = STABLE, since = "0.1")
public enum Capability {
    /** Train a model from scratch ({@link dev.keel.api.train.Pretrainer}). */
    PRETRAIN,
    /** Fine-tune a pretrained model ({@link dev.keel.api.adapt.Adapter}). */
    ADAPT,
    /** Serve a model in-process ({@link dev.keel.api.infer.InferenceSession}). */
    INFER,
    /** Write a model in another engine's format (for example ONNX or a TensorFlow SavedModel). */
    EXPORT,
    /**
     * Read a model held in an engine's own format (a builtin ONNX graph, say) into a portable Keel folder
     * that every backend of its family loads, so training engines can fine-tune it.
     */
    IMPORT
}
