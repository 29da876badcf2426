package dev.keel.onnx.internal.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.api.KeelException;
import dev.keel.api.ModelRef;
import dev.keel.onnx.internal.BertImport;
import dev.keel.onnx.internal.OnnxBackendProvider;
import dev.keel.spi.checkpoint.AtomicFiles;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.tck.KitModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ONNX importer ({@code keel import}, {@link BertImport}) fed arbitrary bytes as a folder's
 * {@code model.onnx} beside a valid tiny bert {@code config.json} and tokenizer: every input must end in an
 * imported folder or a {@link KeelException} with a message, never another exception or a half-written folder.
 *
 * <p>The default build replays the checked-in corpus ({@code OnnxImportFuzzTestInputs/bertGraph/}: Keel's own
 * export of the kit's tiny bert, and inputs found by fuzzing); {@code JAZZER_FUZZ=1 ./mvnw -pl backend-onnx -am
 * test -Dtest=OnnxImportFuzzTest#bertGraph -Dsurefire.failIfNoSpecifiedTests=false} searches (docs/api.md).
 */
class OnnxImportFuzzTest {
    private static Path dir;
    private static Path source;

    @BeforeAll
    static void tinyBertFolder() throws IOException {
        dir = Files.createTempDirectory("keel-onnx-fuzz-");
        source = KitModels.writeBert(dir.resolve("source"), KitModels.randomBert(KitModels.BERT, 7));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        AtomicFiles.deleteTree(dir);
    }

    @FuzzTest(maxDuration = "5m")
    void bertGraph(byte[] input) throws IOException {
        Files.write(source.resolve("model.onnx"), input);
        Path target = dir.resolve("imported");
        AtomicFiles.deleteTree(target);
        try {
            BertImport.importBert(ModelRef.of(source), target);
            assertThat(ModelFolder.readWeights(target).tensors()).as("an import that returns wrote the weights")
                    .isNotEmpty();
        } catch (KeelException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("a KeelException without a message", expected);
            }
            assertThat(target.resolve(ModelFolder.KEEL)).as("a refused import leaves no model folder").doesNotExist();
        }
    }

    /**
     * The corpus's seed is the kit's tiny bert exported by Keel, which must import back to the same weights;
     * {@code -Dkeel.fuzz.writeSeed=true} rewrites the seed file from the current exporter.
     */
    @Test
    void keels_own_export_of_a_tiny_bert_imports_back_to_its_weights() throws IOException {
        Path exported = new OnnxBackendProvider().export(ModelRef.of(source), dir.resolve("exported"));
        byte[] graph = Files.readAllBytes(exported.resolve("model.onnx"));
        if (Boolean.getBoolean("keel.fuzz.writeSeed")) {
            Path seed = Path.of("src/test/resources/dev/keel/onnx/internal/fuzz/OnnxImportFuzzTestInputs/bertGraph/keel-export");
            Files.write(seed, graph);
        }
        Path back = BertImport.importBert(ModelRef.of(exported), dir.resolve("back"));
        var original = ModelFolder.readWeights(source).tensors();
        var imported = ModelFolder.readWeights(back).tensors();
        original.forEach((name, t) -> {
            if (imported.containsKey(name)) {
                assertThat(imported.get(name)).as(name).isEqualTo(t);
            }
        });
        assertThat(imported.keySet()).as("the encoder's weights come back").isNotEmpty();
    }
}
