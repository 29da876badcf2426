package dev.keel.tf.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class TfSavedModelExportTest {
    private static final Gpt2Config CONFIG = Gpt2Fixtures.config(16, 32, 2, 4);

    @Test
    void the_saved_model_loads_in_tensorflow_and_gives_the_sessions_logits(@TempDir Path dir) {
        Path model = Gpt2Fixtures.write(dir.resolve("model"), CONFIG, Gpt2Fixtures.randomWeights(CONFIG, 5));
        Path target = new TfBackendProvider().export(ModelRef.of(model), dir.resolve("exported"));

        int[] ids = Gpt2Fixtures.TOKENIZER.encode("a horse, a");
        float[][] expected;
        try (InferenceSession s = new TfBackendProvider().open(ModelRef.of(target), SessionOptions.defaults())) {
            expected = s.logits(ids);
        }
        try (SavedModelBundle bundle = SavedModelBundle.load(target.resolve("saved_model").toString(), "serve");
                TInt32 input = TfTensors.ints(ids, 1, ids.length);
                Result r = bundle.function("serving_default").call(Map.<String, Tensor>of("input_ids", input))) {
            TFloat32 logits = (TFloat32) r.get("logits").orElseThrow();
            assertThat(logits.shape().asArray()).containsExactly(1, ids.length, CONFIG.vocabSize());
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < CONFIG.vocabSize(); v++) {
                    assertThat(Math.abs(logits.getFloat(0, t, v) - expected[t][v])).isLessThan(1e-5f);
                }
            }
        }
    }

    @Test
    void an_existing_target_is_left_untouched(@TempDir Path dir) throws Exception {
        Path model = Gpt2Fixtures.write(dir.resolve("model"), CONFIG, Gpt2Fixtures.randomWeights(CONFIG, 5));
        Path target = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(target.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> new TfBackendProvider().export(ModelRef.of(model), target))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is not empty");
        assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("mine");
        assertThatThrownBy(() -> new TfBackendProvider().export(ModelRef.of(model), model.resolve("inside")))
                .isInstanceOf(InvalidInputException.class);
    }
}
