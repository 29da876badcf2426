package dev.keel.spi.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.CheckpointException;
import dev.keel.api.model.BertConfig;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelConfig;
import dev.keel.spi.tokenize.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {
    @TempDir
    Path dir;

    private final Gpt2Config gpt2 = Gpt2Config.builder().vocabSize(5).blockSize(8).embedding(4).layers(1).heads(2).build();

    @Test
    void a_folder_round_trips_config_weights_tokenizer_and_metadata() {
        CharTokenizer tok = CharTokenizer.fromText("abcde");
        KeelMetadata meta = KeelMetadata.create("test", "pretrain").withVersion("v1")
                .withMetrics(Map.of("val_loss", 1.5)).withData(Map.of("corpus", "abc123"));
        ModelFolder.write(dir, gpt2, List.of(Tensor.ofFloats("w", new long[] {1}, new float[] {3})), tok, meta);

        assertThat(ModelFolder.readConfig(dir)).isEqualTo(gpt2);
        assertThat(ModelFolder.readWeights(dir).get("w").toFloats()).containsExactly(3);
        assertThat(ModelFolder.readTokenizer(dir)).isEqualTo(tok);
        KeelMetadata back = ModelFolder.readMetadata(dir);
        assertThat(back.modelVersion()).isEqualTo("v1");
        assertThat(back.metrics()).containsEntry("val_loss", 1.5);
        assertThat(back.data()).containsEntry("corpus", "abc123");
    }

    @Test
    void config_json_uses_hugging_face_keys() throws IOException {
        ModelFolder.writeConfig(dir, gpt2);
        Map<String, Object> json = Json.readObject(dir.resolve("config.json"));
        assertThat(json).containsEntry("model_type", "gpt2").containsEntry("n_embd", 4L)
                .containsEntry("n_layer", 1L).containsEntry("n_head", 2L).containsEntry("n_positions", 8L)
                .containsEntry("vocab_size", 5L).containsEntry("activation_function", "gelu_new");
    }

    @Test
    void a_hugging_face_bert_config_is_read_with_its_labels() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"bert\",\"vocab_size\":30522,"
                + "\"hidden_size\":384,\"num_hidden_layers\":6,\"num_attention_heads\":12,"
                + "\"intermediate_size\":1536,\"max_position_embeddings\":512,\"type_vocab_size\":2,"
                + "\"id2label\":{\"0\":\"negative\",\"1\":\"positive\"}}");
        ModelConfig c = ModelFolder.readConfig(dir);
        assertThat(c).isInstanceOf(BertConfig.class);
        assertThat(((BertConfig) c).labels()).containsExactly("negative", "positive");
        assertThat(BertConfig.fromHfConfig(c.toHfConfig())).isEqualTo(c);
    }

    @Test
    void an_unknown_model_type_names_the_supported_families() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\"}");
        assertThatThrownBy(() -> ModelFolder.readConfig(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("\"llama\"").hasMessageContaining("gpt2, bert");
    }

    @Test
    void a_malformed_config_is_a_clear_checkpoint_error() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", ");
        assertThatThrownBy(() -> ModelFolder.readConfig(dir))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("not valid JSON");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_embd\": 4}");
        assertThatThrownBy(() -> ModelFolder.readConfig(dir))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("\"vocab_size\"");
    }

    @Test
    void a_folder_that_is_not_a_model_says_so() {
        assertThatThrownBy(() -> ModelFolder.readConfig(dir.resolve("nope")))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ModelFolder.readConfig(dir))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("no config.json");
    }

    @Test
    void gpt2_layout_accepts_hub_names_and_rejects_mismatched_shapes() {
        Map<String, long[]> shapes = Gpt2Layout.shapes(gpt2);
        Map<String, Tensor> hub = new java.util.LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            String hubName = name.substring(Gpt2Layout.PREFIX.length());
            hub.put(hubName, Tensor.ofFloats(hubName, shape, new float[(int) Tensor.elementCount(shape)]));
        });
        hub.put("h.0.attn.bias", Tensor.ofFloats("h.0.attn.bias", new long[] {1}, new float[1]));
        Map<String, Tensor> canonical = Gpt2Layout.normalize(hub, gpt2);
        assertThat(canonical.keySet()).containsExactlyInAnyOrderElementsOf(shapes.keySet());

        hub.put("wte.weight", Tensor.ofFloats("wte.weight", new long[] {6, 4}, new float[24]));
        assertThatThrownBy(() -> Gpt2Layout.normalize(hub, gpt2))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("transformer.wte.weight has shape [6, 4], expected [5, 4]");
    }
}
