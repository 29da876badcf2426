package dev.keel.onnx.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.CheckpointException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.BertConfig;
import dev.keel.spi.checkpoint.BertLayout;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertImportTest {
    @TempDir
    Path dir;

    @Test
    void minilm_imports_into_a_bert_folder_that_embeds_like_the_original() {
        Path folder = BertImport.importBert(ModelRef.parse("builtin:all-minilm-l6-v2"), dir.resolve("minilm"));

        assertThat(ModelFolder.readConfig(folder)).isEqualTo(BertConfig.miniLmL6());
        Safetensors.Contents weights = ModelFolder.readWeights(folder);
        var expected = BertLayout.shapes(BertConfig.miniLmL6());
        assertThat(weights.tensors().keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((name, shape) -> assertThat(weights.get(name).shape()).as(name).isEqualTo(shape));
        assertThat(Files.exists(folder.resolve("tokenizer.json"))).isTrue();
        assertThat(ModelFolder.readMetadata(folder).method()).isEqualTo("import");

        // serve the imported weights back through a graph Keel builds from them
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("cache").toString());
        List<String> texts = List.of("a charming and often affecting journey", "bleak and desperate", "x");
        try (InferenceSession original = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.defaults());
                InferenceSession imported = new OnnxBackendProvider().open(ModelRef.of(folder),
                        SessionOptions.defaults())) {
            float[][] a = original.embed(texts).vectors();
            float[][] b = imported.embed(texts).vectors();
            for (int i = 0; i < texts.size(); i++) {
                assertThat(MiniLmEmbeddingTest.cosine(a[i], b[i])).as(texts.get(i)).isGreaterThan(0.99999);
            }
            assertThat(imported.info().version()).isEqualTo("import:builtin:all-minilm-l6-v2");
        } finally {
            System.clearProperty(dev.keel.spi.KeelCache.PROPERTY);
        }
        assertThat(Files.exists(folder.resolve("model.onnx"))).as("serving must not write into the folder").isFalse();
    }

    @Test
    void importing_keels_own_bert_export_gives_back_the_same_weights() {
        Path first = BertImport.importBert(ModelRef.parse("builtin:all-minilm-l6-v2"), dir.resolve("first"));
        Path exported = new OnnxBackendProvider().export(ModelRef.of(first), dir.resolve("exported"));
        assertThat(exported.resolve("model.onnx")).exists();
        Path second = BertImport.importBert(ModelRef.of(exported), dir.resolve("second"));
        Safetensors.Contents a = ModelFolder.readWeights(first);
        Safetensors.Contents b = ModelFolder.readWeights(second);
        assertThat(b.tensors().keySet()).containsExactlyElementsOf(a.tensors().keySet());
        a.tensors().forEach((name, t) -> assertThat(b.get(name)).as(name).isEqualTo(t));
    }

    @Test
    void a_hugging_face_folder_with_model_onnx_serves_as_it_is() throws Exception {
        Path hf = dir.resolve("hf");
        Files.createDirectories(hf);
        Files.write(hf.resolve("model.onnx"), OnnxModel.resource(OnnxModel.MINILM_ONNX));
        Files.write(hf.resolve("tokenizer.json"), OnnxModel.resource(OnnxModel.MINILM_TOKENIZER));
        ModelFolder.writeConfig(hf, BertConfig.miniLmL6());
        List<String> texts = List.of("served from a folder", "as it is");
        try (InferenceSession original = new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.defaults());
                InferenceSession folder = new OnnxBackendProvider().open(ModelRef.of(hf), SessionOptions.defaults())) {
            assertThat(folder.embed(texts).vectors()).isDeepEqualTo(original.embed(texts).vectors());
            assertThat(folder.info().version()).startsWith("sha256:");
            assertThat(folder.info().location()).isEqualTo(hf);
        }
    }

    @Test
    void asking_for_a_gpu_without_the_gpu_runtime_names_the_artifact_to_add() {
        org.junit.jupiter.api.Assumptions.assumeFalse(getClass().getClassLoader()
                .getResource("ai/onnxruntime/native/linux-x64/libonnxruntime_providers_cuda.so") != null,
                "the GPU build of ONNX Runtime is on the class path");
        assertThatThrownBy(() -> new OnnxBackendProvider().open(ModelRef.parse("builtin:all-minilm-l6-v2"),
                SessionOptions.builder().device(dev.keel.api.Device.gpu(0)).build()))
                .isInstanceOf(dev.keel.api.UnsupportedCapabilityException.class)
                .hasMessageContaining("onnxruntime_gpu").hasMessageContaining("--device cpu");
    }

    @Test
    void a_folder_without_a_graph_is_refused_with_the_reason(@TempDir Path empty) {
        ModelFolder.writeConfig(empty, BertConfig.miniLmL6());
        assertThatThrownBy(() -> BertImport.importBert(ModelRef.of(empty), dir.resolve("out")))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("model.onnx");
        assertThat(Files.exists(dir.resolve("out"))).isFalse();
    }
}
