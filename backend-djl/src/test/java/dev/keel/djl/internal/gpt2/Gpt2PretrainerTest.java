package dev.keel.djl.internal.gpt2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.checkpoint.ModelFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gpt2PretrainerTest {
    @TempDir
    static Path shared;

    @BeforeAll
    static void tokenCache() {
        TinyCorpus.useTempTokenCache(shared);
    }

    private static List<Double> losses(PretrainSpec spec) {
        List<Double> losses = new ArrayList<>();
        new Gpt2Pretrainer(Device.cpu()).pretrain(spec, e -> {
            if (e instanceof TrainingEvent.Step s) {
                losses.add(s.loss());
            }
        });
        return losses;
    }

    @Test
    void loss_goes_down_on_a_tiny_corpus(@TempDir Path dir) {
        Path corpus = TinyCorpus.write(dir);
        List<TrainingEvent> events = new ArrayList<>();
        TrainingResult result = new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, dir.resolve("out"))
                .build(), events::add);
        List<Double> steps = events.stream().filter(TrainingEvent.Step.class::isInstance)
                .map(e -> ((TrainingEvent.Step) e).loss()).toList();
        assertThat(steps).hasSize(60);
        double first = steps.get(0);
        assertThat(first).isCloseTo(Math.log(20), within(0.5));
        assertThat(result.valLoss()).isLessThan(first - 1.0);
        assertThat(result.bestValLoss()).isLessThanOrEqualTo(result.valLoss());
        assertThat(events.get(0)).isInstanceOf(TrainingEvent.Started.class);
        assertThat(events).filteredOn(TrainingEvent.Evaluation.class::isInstance).hasSize(3);
        assertThat(events).filteredOn(TrainingEvent.CheckpointSaved.class::isInstance).isNotEmpty();
        assertThat(events.get(events.size() - 1)).isInstanceOf(TrainingEvent.Finished.class);
        Path out = dir.resolve("out");
        assertThat(ModelFolder.readConfig(out).vocabSize()).isEqualTo(ModelFolder.readTokenizer(out).vocabSize());
        assertThat(out.resolve(Gpt2Pretrainer.LOG)).content().contains("\"type\":\"step\"", "\"type\":\"eval\"");
        assertThat(ModelFolder.readMetadata(out).metrics()).containsKey("val_loss");
    }

    @Test
    void the_same_seed_gives_the_same_run(@TempDir Path dir) {
        Path corpus = TinyCorpus.write(dir);
        var training = TinyCorpus.training().maxSteps(8).evalInterval(0).build();
        List<Double> a = losses(TinyCorpus.spec(corpus, dir.resolve("a")).training(training).build());
        List<Double> b = losses(TinyCorpus.spec(corpus, dir.resolve("b")).training(training).build());
        assertThat(a).hasSize(8).isEqualTo(b);
        List<Double> c = losses(TinyCorpus.spec(corpus, dir.resolve("c"))
                .training(training.toBuilder().seed(8).build()).build());
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void resuming_half_way_continues_the_same_run(@TempDir Path dir) {
        Path corpus = TinyCorpus.write(dir);
        // the schedule's length is fixed (decaySteps) so both halves see the learning rates of the full run
        var full = TinyCorpus.training().maxSteps(12).decaySteps(12).evalInterval(6).evalIters(2)
                .build();
        List<Double> straight = losses(TinyCorpus.spec(corpus, dir.resolve("straight")).training(full).build());
        List<Double> firstHalf = losses(TinyCorpus.spec(corpus, dir.resolve("split"))
                .training(full.toBuilder().maxSteps(6).build()).build());
        List<Double> secondHalf = losses(TinyCorpus.spec(corpus, dir.resolve("split")).training(full).resume(true)
                .build());
        assertThat(firstHalf).hasSize(6);
        assertThat(secondHalf).hasSize(6);
        List<Double> joined = new ArrayList<>(firstHalf);
        joined.addAll(secondHalf);
        for (int i = 0; i < straight.size(); i++) {
            assertThat(joined.get(i)).as("step %d", i + 1).isCloseTo(straight.get(i), within(1e-5));
        }
    }

    @Test
    void resuming_with_dropout_is_exact_too(@TempDir Path dir) {
        Path corpus = TinyCorpus.write(dir);
        var arch = new dev.keel.api.model.Gpt2Config(1, 16, 32, 2, 2, 0.1, true, 1e-5);
        var full = TinyCorpus.training().maxSteps(6).decaySteps(6).evalInterval(3).evalIters(1).build();
        List<Double> straight = losses(TinyCorpus.spec(corpus, dir.resolve("s")).architecture(arch).training(full)
                .build());
        List<Double> joined = new ArrayList<>(losses(TinyCorpus.spec(corpus, dir.resolve("r")).architecture(arch)
                .training(full.toBuilder().maxSteps(3).build()).build()));
        joined.addAll(losses(TinyCorpus.spec(corpus, dir.resolve("r")).architecture(arch).training(full).resume(true)
                .build()));
        assertThat(joined).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(joined.get(i)).isCloseTo(straight.get(i), within(1e-5));
        }
    }

    @Test
    void an_empty_corpus_is_refused_and_the_output_folder_is_untouched(@TempDir Path dir) throws IOException {
        Path corpus = Files.writeString(dir.resolve("empty.txt"), "");
        Path out = existingOutput(dir);
        Map<String, String> before = snapshot(out);
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out).resume(true)
                .build())).isInstanceOf(InvalidInputException.class).hasMessageContaining("empty");
        assertThat(snapshot(out)).isEqualTo(before);
    }

    @Test
    void a_block_longer_than_the_corpus_is_refused_and_the_output_folder_is_untouched(@TempDir Path dir)
            throws IOException {
        Path corpus = Files.writeString(dir.resolve("short.txt"), "to be or not to be.\n");
        Path out = existingOutput(dir);
        Map<String, String> before = snapshot(out);
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out).resume(true)
                .build())).isInstanceOf(InvalidInputException.class).hasMessageContaining("--block");
        assertThat(snapshot(out)).isEqualTo(before);
    }

    @Test
    void an_unknown_tokenizer_is_refused_before_the_output_folder_is_made(@TempDir Path dir) {
        Path corpus = TinyCorpus.write(dir);
        Path out = dir.resolve("new");
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out)
                .tokenizer(TokenizerSpec.parse("wordpiece")).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("unknown tokenizer 'wordpiece'");
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out)
                .tokenizer(TokenizerSpec.parse(dir.resolve("missing.json").toString())).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("missing.json");
        assertThat(out).doesNotExist();
    }

    @Test
    void a_new_run_never_overwrites_a_model_folder(@TempDir Path dir) throws IOException {
        Path corpus = TinyCorpus.write(dir);
        Path out = existingOutput(dir);
        Map<String, String> before = snapshot(out);
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out).build()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("holds a pre-training run (saved at step 2)").hasMessageContaining("--resume")
                .hasMessageContaining("Keel never overwrites a model");
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, other).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is not empty");
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, file).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is a file");
        assertThat(snapshot(out)).isEqualTo(before);
        assertThat(other.resolve("notes.txt")).hasContent("mine");
    }

    @Test
    void a_corrupt_checkpoint_is_refused_on_resume_and_the_output_folder_is_untouched(@TempDir Path dir)
            throws IOException {
        Path corpus = TinyCorpus.write(dir);
        Path out = existingOutput(dir);
        Path optimizer = out.resolve(Gpt2Pretrainer.RESUME).resolve(Gpt2Pretrainer.OPTIMIZER);
        byte[] bytes = Files.readAllBytes(optimizer);
        Files.write(optimizer, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Map<String, String> before = snapshot(out);
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out)
                .training(TinyCorpus.training().maxSteps(4).evalInterval(2).evalIters(1).build()).resume(true).build()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining(Gpt2Pretrainer.OPTIMIZER);
        assertThat(snapshot(out)).isEqualTo(before);
        Files.writeString(out.resolve(Gpt2Pretrainer.RESUME).resolve(Gpt2Pretrainer.STATE), "{ not json");
        Map<String, String> again = snapshot(out);
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus, out)
                .resume(true).build()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining(Gpt2Pretrainer.STATE);
        assertThat(snapshot(out)).isEqualTo(again);
    }

    @Test
    void resuming_where_nothing_was_trained_says_so(@TempDir Path dir) {
        Path corpus = TinyCorpus.write(dir);
        assertThatThrownBy(() -> new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(corpus,
                dir.resolve("fresh")).resume(true).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("nothing to resume");
        assertThat(dir.resolve("fresh")).doesNotExist();
    }

    /** A folder holding a finished two-step run, as a user's earlier work. */
    private static Path existingOutput(Path dir) {
        Path out = dir.resolve("previous");
        new Gpt2Pretrainer(Device.cpu()).pretrain(TinyCorpus.spec(TinyCorpus.write(dir.resolve("prev-corpus")), out)
                .training(TinyCorpus.training().maxSteps(2).evalInterval(2).evalIters(1).build()).build());
        return out;
    }

    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), Integer.toHexString(java.util.Arrays.hashCode(
                        Files.readAllBytes(p))) + ":" + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return files;
    }
}
