package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.CheckpointException;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.infer.EmbeddingOptions;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.Backends;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host fine-tuning the builtin MiniLM on a training engine: the runtime imports it once (through the onnx
 * backend's IMPORT capability) into a portable folder that the djl engine loads and embeds identically.
 */
class PortableModelsTest {
    private static final ModelRef MINILM = ModelRef.parse("builtin:all-minilm-l6-v2");

    @TempDir
    Path dir;
    private String previous;

    @BeforeEach
    void isolateTheModelsCache() {
        previous = System.setProperty(KeelRuntime.MODELS_PROPERTY, dir.resolve("models").toString());
    }

    @AfterEach
    void restore() {
        if (previous == null) {
            System.clearProperty(KeelRuntime.MODELS_PROPERTY);
        } else {
            System.setProperty(KeelRuntime.MODELS_PROPERTY, previous);
        }
    }

    @Test
    void a_builtin_is_imported_once_and_the_djl_engine_embeds_it_as_onnx_does() throws IOException {
        KeelRuntime keel = KeelRuntime.builder().build();
        ModelRef folder = keel.portable(MINILM);
        Path weights = folder.path().orElseThrow().resolve(ModelFolder.WEIGHTS);
        assertThat(ModelFolder.readConfig(folder.path().orElseThrow()).family()).isEqualTo(ModelFamily.BERT);
        FileTime written = Files.getLastModifiedTime(weights);
        assertThat(keel.portable(MINILM)).isEqualTo(folder);
        assertThat(Files.getLastModifiedTime(weights)).as("the second call reuses the import").isEqualTo(written);
        try (Stream leftovers = new Stream(dir.resolve("models"))) {
            assertThat(leftovers.names()).containsExactly("all-minilm-l6-v2");
        }

        List<String> texts = List.of("a wonderful film", "the service was slow and the soup was cold");
        float[][] onnx;
        float[][] djl;
        try (InferenceSession s = KeelRuntime.builder().backend("onnx").build().open(MINILM)) {
            onnx = s.embed(texts, EmbeddingOptions.defaults()).vectors();
        }
        try (InferenceSession s = KeelRuntime.builder().backend("djl").build().open(folder)) {
            djl = s.embed(texts, EmbeddingOptions.defaults()).vectors();
        }
        for (int i = 0; i < texts.size(); i++) {
            assertThat(djl[i]).as(texts.get(i)).containsExactly(onnx[i], within(1e-3f));
        }
    }

    /** Issue 16: engine switching is configuration only for builtins too (-Dkeel.backend=djl, Keel.open). */
    @Test
    void a_builtin_opens_on_an_engine_that_does_not_ship_it_as_its_portable_import() {
        List<String> texts = List.of("a wonderful film", "the soup was cold");
        float[][] onnx;
        try (InferenceSession s = KeelRuntime.builder().backend("onnx").build().open("builtin:all-minilm-l6-v2")) {
            onnx = s.embed(texts).vectors();
        }
        String before = System.setProperty(Backends.PROPERTY, "djl");
        try {
            for (InferenceSession session : List.of(Keel.open("builtin:all-minilm-l6-v2"), Keel.open(MINILM))) {
                try (InferenceSession s = session) {
                    assertThat(s.info().backend()).isEqualTo("djl");
                    assertThat(s.info().location()).isEqualTo(dir.resolve("models").resolve("all-minilm-l6-v2"));
                    float[][] djl = s.embed(texts).vectors();
                    for (int i = 0; i < texts.size(); i++) {
                        assertThat(djl[i]).as(texts.get(i)).containsExactly(onnx[i], within(1e-3f));
                    }
                }
            }
            assertThatThrownBy(() -> Keel.open(Path.of("builtin:all-minilm-l6-v2")))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("Keel.open(\"builtin:all-minilm-l6-v2\")");
        } finally {
            if (before == null) {
                System.clearProperty(Backends.PROPERTY);
            } else {
                System.setProperty(Backends.PROPERTY, before);
            }
        }
    }

    @Test
    void a_builtin_no_backend_ships_is_refused_with_what_is_shipped() {
        assertThatThrownBy(() -> KeelRuntime.builder().backend("djl").build().open("builtin:no-such-model"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("builtin:no-such-model")
                .hasMessageContaining("builtin:all-minilm-l6-v2 (onnx)");
    }

    @Test
    void importing_into_a_folder_that_holds_files_is_refused_and_leaves_them_alone() throws IOException {
        Path target = Files.createDirectories(dir.resolve("busy"));
        Files.writeString(target.resolve("notes.txt"), "mine");
        KeelRuntime keel = KeelRuntime.builder().build();
        assertThatThrownBy(() -> keel.importModel(MINILM, target))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("not empty");
        try (Stream s = new Stream(target)) {
            assertThat(s.names()).containsExactly("notes.txt");
        }
        assertThat(Files.readString(target.resolve("notes.txt"))).isEqualTo("mine");
        try (Stream s = new Stream(dir)) {
            assertThat(s.names()).as("no half-written import left beside it").containsExactly("busy");
        }
    }

    @Test
    void a_host_fine_tunes_the_builtin_with_lora_through_the_runtime_without_importing_it_by_hand() throws IOException {
        Path train = Files.writeString(dir.resolve("train.tsv"), String.join("\n",
                "a wonderful, moving film\t1", "I loved every minute\t1", "awful, boring and far too long\t0",
                "I hated it\t0") + "\n");
        Path out = dir.resolve("lora");
        TrainingResult r = KeelRuntime.builder().backend("djl").build().adapter(ModelFamily.BERT).adapt(
                AdaptationSpec.builder().base(MINILM).method(AdaptationMethod.LORA).task(AdaptationTask.CLASSIFY)
                        .train(train).outputDir(out).maxLength(32)
                        .training(TrainingConfig.builder().maxSteps(2).epochs(1).batchSize(4).learningRate(1e-3)
                                .minLearningRate(0).warmupSteps(0).build())
                        .build());
        assertThat(r.output()).isEqualTo(out);
        assertThat(r.trainableParameters()).isLessThan(r.parameters() / 100);
        assertThat(out.resolve("adapter_model.safetensors")).exists();
        assertThat(dir.resolve("models").resolve("all-minilm-l6-v2").resolve(ModelFolder.KEEL)).exists();
    }

    /** File names in a folder, sorted. */
    private record Stream(java.util.stream.Stream<Path> entries) implements AutoCloseable {
        Stream(Path folder) throws IOException {
            this(Files.list(folder));
        }

        List<String> names() {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }

        @Override
        public void close() {
            entries.close();
        }
    }
}
