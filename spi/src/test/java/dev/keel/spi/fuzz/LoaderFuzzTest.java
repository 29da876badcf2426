package dev.keel.spi.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.keel.api.KeelException;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.LabelledFiles;
import dev.keel.spi.tokenize.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The loaders of files a user hands Keel, fed arbitrary bytes: every input must end in the data or in a
 * {@link KeelException} that says what is wrong, never another exception, a hang or unbounded memory.
 *
 * <p>In the default build each target replays its checked-in corpus ({@code LoaderFuzzTestInputs/METHOD/} under
 * the test resources) in a few seconds. To search for new failing inputs, run one target at a time, e.g.
 * {@code JAZZER_FUZZ=1 ./mvnw -pl spi -am test -Dtest=LoaderFuzzTest#safetensors -Dsurefire.failIfNoSpecifiedTests=false}
 * (docs/api.md, "Fuzzing"); a crash is written into the corpus folder, so the next default build replays it.
 */
class LoaderFuzzTest {
    private static Path dir;

    @BeforeAll
    static void workspace() throws IOException {
        dir = Files.createTempDirectory("keel-fuzz-");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @FuzzTest(maxDuration = "5m")
    void safetensors(byte[] input) {
        Path file = write("model.safetensors", input);
        expectKeelException(() -> {
            for (Tensor t : Safetensors.read(file).tensors().values()) {
                t.toFloats();
            }
        });
    }

    @FuzzTest(maxDuration = "5m")
    void configJson(byte[] input) {
        write(ModelFolder.CONFIG, input);
        expectKeelException(() -> ModelFolder.readConfig(dir));
    }

    @FuzzTest(maxDuration = "5m")
    void keelJson(byte[] input) {
        write(ModelFolder.KEEL, input);
        expectKeelException(() -> ModelFolder.readMetadata(dir));
    }

    /** Keel's own tokenizer file (the first byte odd) or a Hugging Face tokenizer.json (even), then one encode. */
    @FuzzTest(maxDuration = "5m")
    void tokenizerFiles(byte[] input) {
        if (input.length == 0) {
            return;
        }
        Path folder = dir.resolve("tok");
        try {
            Files.createDirectories(folder);
            Files.deleteIfExists(folder.resolve(Tokenizers.KEEL_FILE));
            Files.deleteIfExists(folder.resolve(Tokenizers.HF_FILE));
            Files.write(folder.resolve((input[0] & 1) == 1 ? Tokenizers.KEEL_FILE : Tokenizers.HF_FILE),
                    java.util.Arrays.copyOfRange(input, 1, input.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        expectKeelException(() -> {
            Tokenizer t = Tokenizers.load(folder);
            t.decode(t.encode("To be, or not to be: ROMEO ça 😀"));
        });
    }

    /** Labelled data as TSV, CSV or JSONL (chosen by the first byte), as {@code keel adapt --train} reads it. */
    @FuzzTest(maxDuration = "5m")
    void labelledFiles(byte[] input) {
        if (input.length == 0) {
            return;
        }
        String[] kinds = {"data.tsv", "data.csv", "data.jsonl", "data.txt"};
        Path file = write(kinds[(input[0] & 0xff) % kinds.length], java.util.Arrays.copyOfRange(input, 1, input.length));
        expectKeelException(() -> LabelledFiles.read(file));
    }

    private static Path write(String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a load; a KeelException is the expected outcome for bad bytes, anything else is a finding. */
    static void expectKeelException(Runnable load) {
        try {
            load.run();
        } catch (KeelException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("a KeelException without a message", expected);
            }
        }
    }
}
