package dev.keel.onnx.internal;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.keel.api.CheckpointException;
import dev.keel.api.KeelException;
import dev.keel.api.infer.ModelInfo;
import dev.keel.api.infer.Operation;
import dev.keel.api.infer.SessionOptions;
import dev.keel.spi.infer.SessionBase;

/**
 * What every ONNX session adds to the shared {@link SessionBase} (lock, admission, closed check, one event
 * per call): the engine session over the model's graph, and ONNX Runtime's failures named as such.
 */
abstract class SessionSupport extends SessionBase {
    protected final OrtSession session;

    SessionSupport(OnnxModel model, SessionOptions options) {
        super(new ModelInfo(model.config(), OnnxBackendProvider.NAME, options.device(), model.version(),
                model.location()), options);
        OrtSession.SessionOptions so = Ort.options(options);
        try {
            this.session = model.onnxFile() != null
                    ? Ort.env().createSession(model.onnxFile().toString(), so)
                    : Ort.env().createSession(model.onnxBytes(), so);
        } catch (OrtException e) {
            throw new CheckpointException("ONNX Runtime cannot load the graph of " + model.describe() + ": "
                    + e.getMessage() + "; re-export the model or check that it is a valid ONNX file", e);
        } finally {
            so.close();
        }
    }

    @Override
    protected KeelException failure(Operation operation, Exception e) {
        return new KeelException("ONNX Runtime failed during " + operation.label() + ": " + e.getMessage(), e);
    }

    /** Releases subclass resources (under the write lock) before the engine session closes. */
    protected void closeResources() { }

    @Override
    protected final void release() throws OrtException {
        try {
            closeResources();
        } finally {
            session.close();
        }
    }
}
