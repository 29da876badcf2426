package dev.keel.spi.tck.bow;

import dev.keel.api.Capability;
import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.ModelRef;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.Availability;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Capabilities;
import dev.keel.spi.checkpoint.ModelFolder;
import java.nio.file.Path;

/**
 * "bow", a deliberately minimal backend written for the kit's own tests, as small as a first plugin can be: it
 * serves bert folders only, and embeds a text as the mean of its tokens' rows of the model's word-embedding table
 * (a bag of words: no position, no attention). So it honours the whole session contract and every refusal, and
 * fails exactly one kind of check, the one that compares its vectors with a real BERT.
 */
public class BowBackendProvider implements BackendProvider {
    public static final String NAME = "bow";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Capabilities capabilities() {
        return Capabilities.builder().stage(Capability.INFER, ModelFamily.BERT).devices(Device.Kind.CPU).build();
    }

    @Override
    public Availability availability() {
        return Availability.yes();
    }

    @Override
    public InferenceSession open(ModelRef model, SessionOptions options) {
        Path folder = model.path().orElseThrow(() -> new CheckpointException("backend '" + name() + "' opens model "
                + "folders only, not " + model + "; import it into a folder first (keel import)"));
        ModelFolder.requireFolder(folder);
        ModelConfig config = ModelFolder.readConfig(folder);
        if (!(config instanceof BertConfig bert)) {
            throw refuseFamily(folder, config.family());
        }
        return new BowSession(folder, bert, options, name());
    }

    /** What a backend must say when asked for a family it does not declare. */
    protected RuntimeException refuseFamily(Path folder, ModelFamily family) {
        return new UnsupportedCapabilityException("backend '" + name() + "' serves bert folders only; " + folder
                + " holds a " + family + " model: open it on a backend that declares " + family);
    }
}
