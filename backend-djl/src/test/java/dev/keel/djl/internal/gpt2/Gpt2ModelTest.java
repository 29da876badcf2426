package dev.keel.djl.internal.gpt2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.keel.api.CheckpointException;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.djl.internal.DjlEngine;
import dev.keel.spi.tck.KitModels;
import dev.keel.spi.tck.ReferenceGpt2;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.Json;
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.tokenize.CharTokenizer;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2ModelTest {
    static final Gpt2Config CONFIG = new Gpt2Config(11, 12, 16, 2, 2, 0.0, true, 1e-5);
    static final CharTokenizer TOKENIZER = CharTokenizer.fromText("abcdefghij\n");

    static Map<String, Tensor> randomTensors(Gpt2Config config, long seed) {
        return KitModels.randomGpt2(config, seed);
    }

    static float[][] engineLogits(Gpt2Model model, int[] tokens) {
        try (NDManager local = model.manager().newSubManager()) {
            long[] ids = java.util.Arrays.stream(tokens).asLongStream().toArray();
            float[] flat = model.forward(local, DjlEngine.ownedLongs(local, ids, new Shape(1, ids.length)), null, false)
                    .toFloatArray();
            int v = model.config().vocabSize();
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                out[i] = java.util.Arrays.copyOfRange(flat, i * v, (i + 1) * v);
            }
            return out;
        }
    }

    static void assertClose(float[][] actual, float[][] expected, double tolerance) {
        assertThat(actual.length).isEqualTo(expected.length);
        for (int i = 0; i < actual.length; i++) {
            for (int j = 0; j < actual[i].length; j++) {
                assertThat((double) actual[i][j]).as("position %d, token %d", i, j)
                        .isCloseTo(expected[i][j], within(tolerance));
            }
        }
    }

    private static final int[] TOKENS = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};

    @Test
    void the_engine_model_computes_what_hugging_face_gpt2_computes() {
        Map<String, Tensor> tensors = randomTensors(CONFIG, 1);
        try (Gpt2Model model = Gpt2Model.fromTensors(CONFIG, tensors, ai.djl.Device.cpu())) {
            assertClose(engineLogits(model, TOKENS), new ReferenceGpt2(CONFIG, tensors).logits(TOKENS), 1e-4);
        }
    }

    @Test
    void changing_a_later_token_never_changes_earlier_logits() {
        try (Gpt2Model model = Gpt2Model.fromTensors(CONFIG, randomTensors(CONFIG, 2), ai.djl.Device.cpu())) {
            float[][] before = engineLogits(model, TOKENS);
            int[] changed = TOKENS.clone();
            changed[6] = 0;
            changed[9] = 10;
            float[][] after = engineLogits(model, changed);
            for (int i = 0; i < 6; i++) {
                assertThat(after[i]).as("position %d", i).containsExactly(before[i]);
            }
            assertThat(after[6]).isNotEqualTo(before[6]);
        }
    }

    @Test
    void the_key_value_cache_gives_the_logits_of_a_full_pass() {
        try (Gpt2Model model = Gpt2Model.fromTensors(CONFIG, randomTensors(CONFIG, 3), ai.djl.Device.cpu());
                NDManager local = model.manager().newSubManager();
                KvCache cache = new KvCache(local, CONFIG.nLayer())) {
            float[][] full = engineLogits(model, TOKENS);
            float[][] stepped = new float[TOKENS.length][];
            // a prompt of four, then one token at a time
            NDArray prompt = DjlEngine.ownedLongs(local, new long[] {3, 1, 4, 1}, new Shape(1, 4));
            float[] first = model.forward(local, prompt, cache, false).toFloatArray();
            for (int i = 0; i < 4; i++) {
                stepped[i] = java.util.Arrays.copyOfRange(first, i * 11, (i + 1) * 11);
            }
            for (int i = 4; i < TOKENS.length; i++) {
                NDArray one = DjlEngine.ownedLongs(local, new long[] {TOKENS[i]}, new Shape(1, 1));
                stepped[i] = model.forward(local, one, cache, false).toFloatArray();
            }
            assertThat(cache.length()).isEqualTo(TOKENS.length);
            assertClose(stepped, full, 1e-5);
        }
    }

    @Test
    void saving_and_loading_gives_identical_logits(@TempDir Path dir) {
        try (Gpt2Model model = Gpt2Model.initialise(CONFIG, ai.djl.Device.cpu(), 5)) {
            ModelFolder.write(dir, CONFIG, model.toTensors(), TOKENIZER, KeelMetadata.create("djl", "test"));
            float[][] expected = engineLogits(model, TOKENS);
            try (Gpt2Session session = Gpt2Session.open(dir, SessionOptions.defaults())) {
                float[][] actual = session.logits(TOKENS);
                for (int i = 0; i < TOKENS.length; i++) {
                    assertThat(actual[i]).containsExactly(expected[i]);
                }
            }
        }
        assertThat(Safetensors.read(dir.resolve(ModelFolder.WEIGHTS)).tensors().keySet())
                .containsExactlyElementsOf(Gpt2Layout.shapes(CONFIG).keySet());
    }

    @Test
    void a_checkpoint_in_hugging_face_naming_loads_as_it_is(@TempDir Path dir) throws IOException {
        Map<String, Tensor> canonical = randomTensors(CONFIG, 4);
        // what transformers' GPT2LMHeadModel.save_pretrained writes for GPT-2: no "transformer." prefix,
        // the causal-mask buffers, and the tied head stored again
        List<Tensor> hub = new ArrayList<>();
        int n = CONFIG.nPositions();
        float[] tril = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                tril[i * n + j] = 1;
            }
        }
        for (Tensor t : canonical.values()) {
            String name = t.name().substring(Gpt2Layout.PREFIX.length());
            hub.add(new Tensor(name, t.dtype(), t.shape(), t.data()));
            if (name.endsWith("attn.c_attn.weight")) {
                String layer = name.substring(0, name.length() - "c_attn.weight".length());
                hub.add(Tensor.ofFloats(layer + "bias", new long[] {1, 1, n, n}, tril));
                hub.add(Tensor.ofFloats(layer + "masked_bias", new long[] {}, new float[] {-1e4f}));
            }
        }
        Tensor wte = canonical.get("transformer.wte.weight");
        hub.add(new Tensor("lm_head.weight", wte.dtype(), wte.shape(), wte.data()));
        Safetensors.write(dir.resolve(ModelFolder.WEIGHTS), hub, Map.of("format", "pt"));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "gpt2");
        config.put("architectures", List.of("GPT2LMHeadModel"));
        config.put("vocab_size", CONFIG.vocabSize());
        config.put("n_ctx", n);
        config.put("n_positions", n);
        config.put("n_embd", CONFIG.nEmbd());
        config.put("n_layer", CONFIG.nLayer());
        config.put("n_head", CONFIG.nHead());
        config.put("activation_function", "gelu_new");
        config.put("layer_norm_epsilon", 1e-5);
        config.put("resid_pdrop", 0.1);
        AtomicFiles.writeString(dir.resolve(ModelFolder.CONFIG), Json.pretty(config));
        Tokenizers.save(TOKENIZER, dir);
        try (Gpt2Session session = Gpt2Session.open(dir, SessionOptions.defaults())) {
            assertClose(session.logits(TOKENS), new ReferenceGpt2(CONFIG, canonical).logits(TOKENS), 1e-4);
        }
    }

    @Test
    void a_corrupt_checkpoint_is_refused_with_the_file_named(@TempDir Path dir) throws IOException {
        try (Gpt2Model model = Gpt2Model.initialise(CONFIG, ai.djl.Device.cpu(), 5)) {
            ModelFolder.write(dir, CONFIG, model.toTensors(), TOKENIZER, KeelMetadata.create("djl", "test"));
        }
        Path weights = dir.resolve(ModelFolder.WEIGHTS);
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThatThrownBy(() -> Gpt2Session.open(dir, SessionOptions.defaults()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining(weights.toString());
        AtomicFiles.writeString(dir.resolve(ModelFolder.CONFIG), Json.pretty(Map.of("model_type", "gpt2",
                "vocab_size", 11, "n_positions", 12, "n_embd", 24, "n_layer", 2, "n_head", 2)));
        Files.write(weights, bytes);
        assertThatThrownBy(() -> Gpt2Session.open(dir, SessionOptions.defaults()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("do not fit");
    }

    /**
     * Forces garbage collection and churns the heap between building the graph and running backward: arrays
     * whose memory the JVM owned (Java scalars, {@code manager.create} buffers) would then be overwritten and
     * the gradients would differ (GUIDE.md 3).
     */
    @Test
    void gradients_survive_garbage_collection_between_forward_and_backward() {
        Map<String, float[]> calm = gradients(false);
        Map<String, float[]> stressed = gradients(true);
        assertThat(stressed.keySet()).isEqualTo(calm.keySet());
        calm.forEach((name, g) -> assertThat(stressed.get(name)).as(name).containsExactly(g));
        assertThat(calm.values()).allSatisfy(g -> assertThat(g).doesNotContain(Float.NaN));
    }

    /**
     * Every array a training step makes must die with the step: one left in the model's manager per parameter
     * per step grew the demo's pre-training by 3 MB a step (5 GB of RSS after 1,000 steps).
     */
    @Test
    void a_clipped_training_step_leaves_no_arrays_behind_in_the_model() {
        Engine engine = DjlEngine.pytorch();
        try (Gpt2Model model = Gpt2Model.fromTensors(CONFIG, randomTensors(CONFIG, 5), ai.djl.Device.cpu());
                AdamW optimizer = new AdamW(model.namedParameters(), model.manager(), 0.9, 0.99, 0.1)) {
            model.setTrainable(true);
            int[] counts = new int[4];
            for (int step = 0; step < counts.length; step++) {
                try (NDManager local = model.manager().newSubManager()) {
                    long[] x = new long[2 * 12];
                    long[] y = new long[2 * 12];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (i * 3 + step) % 11;
                        y[i] = (i * 3 + step + 1) % 11;
                    }
                    try (GradientCollector collector = engine.newGradientCollector()) {
                        collector.backward(model.loss(local, DjlEngine.ownedLongs(local, x, new Shape(2, 12)),
                                DjlEngine.ownedLongs(local, y, new Shape(2, 12)), true));
                    }
                    optimizer.clipAndUpdate(local, 1e-3, 1.0);
                }
                counts[step] = model.manager().getManagedArrays().size();
            }
            assertThat(counts).as("arrays held by the model's manager after each step").containsOnly(counts[0]);
        }
    }

    private static Map<String, float[]> gradients(boolean stress) {
        Gpt2Config config = new Gpt2Config(11, 12, 16, 2, 2, 0.0, true, 1e-5);
        Engine engine = DjlEngine.pytorch();
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Gpt2Model model = Gpt2Model.fromTensors(config, randomTensors(config, 9), ai.djl.Device.cpu());
                NDManager local = model.manager().newSubManager()) {
            model.setTrainable(true);
            long[] x = new long[2 * 12];
            long[] y = new long[2 * 12];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i * 7) % 11;
                y[i] = (i * 7 + 3) % 11;
            }
            NDArray input = DjlEngine.ownedLongs(local, x, new Shape(2, 12));
            NDArray target = DjlEngine.ownedLongs(local, y, new Shape(2, 12));
            if (stress) {
                churn();
            }
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray loss = model.loss(local, input, target, true);
                if (stress) {
                    churn();
                }
                collector.backward(loss);
            }
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                try (NDArray g = e.getValue().getArray().getGradient()) {
                    out.put(e.getKey(), g.toFloatArray());
                }
            }
        }
        return out;
    }

    private static void churn() {
        List<java.nio.ByteBuffer> junk = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 200; i++) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4096);
                while (b.hasRemaining()) {
                    b.put((byte) 0x7f);
                }
                junk.add(b);
            }
            junk.clear();
        }
        System.gc();
    }
}
