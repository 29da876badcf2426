package dev.keel.tf.internal;

import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.api.model.ModelFamily;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GPT-2 read from Keel's portable folder into plain float arrays under their Hugging Face names, checked
 * against its config.json before any engine is touched.
 *
 * @param config  the architecture
 * @param values  every tensor of {@link Gpt2Layout#shapes}, in that order
 */
record Gpt2Weights(Gpt2Config config, Map<String, float[]> values) {

    static Gpt2Weights read(Path folder) {
        ModelConfig config = ModelFolder.readConfig(folder);
        if (!(config instanceof Gpt2Config gpt2)) {
            // the family is a capability the backend lacks, the same type as every backend reports it
            throw new UnsupportedCapabilityException("backend 'tf' serves the " + ModelFamily.GPT2 + " family only, but "
                    + folder + " holds a " + config.family() + " model; use a backend that declares it (keel backends)");
        }
        Safetensors.Contents contents = ModelFolder.readWeights(folder);
        Map<String, Tensor> tensors = Gpt2Layout.normalize(contents.tensors(), gpt2);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String name : Gpt2Layout.shapes(gpt2).keySet()) {
            values.put(name, tensors.get(name).toFloats());
        }
        return new Gpt2Weights(gpt2, values);
    }

    /** The tensors in Keel's portable layout, ready for {@code ModelFolder.write}. */
    List<Tensor> toTensors() {
        List<Tensor> out = new ArrayList<>();
        Gpt2Layout.shapes(config).forEach((name, shape) -> out.add(Tensor.ofFloats(name, shape, values.get(name))));
        return out;
    }
}
