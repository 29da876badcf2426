package dev.keel.djl.internal.adapt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.adapters.AdaptRun;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.ClassWeighting;
import dev.keel.api.adapt.Adapter;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingListener;
import dev.keel.api.train.TrainingResult;
import dev.keel.api.train.TrainingStoppedException;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.djl.internal.gpt2.Gpt2Pretrainer;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adaptation writes its folder whole or not at all, and a run asked to stop saves itself beside the output and
 * continues when the same adaptation runs again, to the result of a run that was never stopped.
 */
class AdaptStopResumeTest {
    @TempDir
    Path dir;
    Path base;
    Path domain;
    Path labelled;

    @BeforeEach
    void data() throws IOException {
        StringBuilder sb = new StringBuilder();
        String[] lines = {"the cat sat on the mat.\n", "a dog ran to the log.\n", "we see the sea and the sky.\n"};
        for (int i = 0; i < 150; i++) {
            sb.append(lines[(i * 7) % lines.length]);
        }
        Path original = Files.writeString(dir.resolve("original.txt"), sb);
        domain = Files.writeString(dir.resolve("domain.txt"), sb.toString().replace("cat", "dog"));
        base = new Gpt2Pretrainer(Device.cpu()).pretrain(PretrainSpec.builder()
                .architecture(new Gpt2Config(1, 16, 32, 2, 2, 0.0, true, 1e-5)).corpus(original)
                .outputDir(dir.resolve("base")).training(TrainingConfig.builder().maxSteps(20).batchSize(8)
                        .blockSize(16).learningRate(1e-2).evalInterval(0).seed(7).build()).build()).output();
        StringBuilder tsv = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            tsv.append(i % 2 == 0 ? "the cat sat on the mat.\t1\n" : "a dog ran to the log.\t0\n");
        }
        labelled = Files.writeString(dir.resolve("train.tsv"), tsv);
    }

    private static Adapter adapter() {
        return new DjlBackendProvider().adapter(Device.cpu());
    }

    private AdaptationSpec spec(AdaptationMethod method, AdaptationTask task, Path train, Path out, int steps) {
        return AdaptationSpec.builder().base(ModelRef.of(base)).method(method).task(task).train(train)
                .training(TrainingConfig.builder().maxSteps(steps).epochs(1).batchSize(8).blockSize(16)
                        .learningRate(5e-3).minLearningRate(0).warmupSteps(2).weightDecay(0.0).seed(3).build())
                .maxLength(16).classWeights(ClassWeighting.NONE).patience(0).outputDir(out).build();
    }

    /** Records step losses and asks the run to stop once it has taken {@code stopAfter} steps (0: never). */
    private static TrainingListener stoppingAfter(int stopAfter, List<Double> losses, AtomicBoolean outputSeen,
            Path out) {
        return new TrainingListener() {
            @Override
            public void onEvent(TrainingEvent event) {
                if (event instanceof TrainingEvent.Step s && !Double.isNaN(s.loss())) {
                    losses.add(s.loss());
                    outputSeen.compareAndSet(false, Files.exists(out));
                }
            }

            @Override
            public boolean stopRequested() {
                return stopAfter > 0 && losses.size() >= stopAfter;
            }
        };
    }

    @Test
    void a_stopped_full_fine_tuning_continues_to_the_result_of_an_uninterrupted_run() {
        Path straightOut = dir.resolve("straight");
        List<Double> straight = new ArrayList<>();
        adapter().adapt(spec(AdaptationMethod.FULL, AdaptationTask.CAUSAL_LM, domain, straightOut, 10),
                stoppingAfter(0, straight, new AtomicBoolean(), straightOut));

        Path out = dir.resolve("resumed");
        List<Double> joined = new ArrayList<>();
        AtomicBoolean outputSeen = new AtomicBoolean();
        AdaptationSpec spec = spec(AdaptationMethod.FULL, AdaptationTask.CAUSAL_LM, domain, out, 10);
        assertThatThrownBy(() -> adapter().adapt(spec, stoppingAfter(4, joined, outputSeen, out)))
                .isInstanceOfSatisfying(TrainingStoppedException.class, e -> {
                    assertThat(e.step()).isEqualTo(4);
                    assertThat(e.checkpoint()).contains(AdaptRun.staging(out));
                });
        assertThat(out).as("no half-written output folder").doesNotExist();
        assertThat(AdaptRun.staging(out).resolve(AdaptRun.RESUME)).isDirectory();

        TrainingResult r = adapter().adapt(spec, stoppingAfter(0, joined, outputSeen, out));
        assertThat(outputSeen).as("the output folder appeared only when complete").isFalse();
        assertThat(r.output()).isEqualTo(out.toAbsolutePath().normalize());
        assertThat(AdaptRun.staging(out)).doesNotExist();
        assertThat(joined).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(joined.get(i)).as("step %d", i + 1).isCloseTo(straight.get(i), within(1e-5));
        }
        Map<String, Tensor> a = ModelFolder.readWeights(straightOut).tensors();
        Map<String, Tensor> b = ModelFolder.readWeights(out).tensors();
        for (String name : a.keySet()) {
            assertThat(b.get(name).toFloats()).as(name).containsExactly(a.get(name).toFloats(), within(1e-5f));
        }
    }

    @Test
    void a_stopped_lora_run_continues_and_other_settings_cannot_take_its_place() {
        Path out = dir.resolve("lora");
        AdaptationSpec spec = spec(AdaptationMethod.LORA, AdaptationTask.CAUSAL_LM, domain, out, 8);
        List<Double> losses = new ArrayList<>();
        assertThatThrownBy(() -> adapter().adapt(spec, stoppingAfter(3, losses, new AtomicBoolean(), out)))
                .isInstanceOf(TrainingStoppedException.class);
        AdaptationSpec other = spec(AdaptationMethod.LORA, AdaptationTask.CAUSAL_LM, domain, out, 9);
        assertThatThrownBy(() -> adapter().adapt(other))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("stopped at step 3")
                .hasMessageContaining("original settings").hasMessageContaining(AdaptRun.staging(out).toString());
        assertThat(AdaptRun.staging(out).resolve(AdaptRun.RESUME)).as("kept for its own settings").isDirectory();
        List<TrainingEvent> events = new ArrayList<>();
        adapter().adapt(spec, events::add);
        assertThat(events.get(0)).isInstanceOfSatisfying(TrainingEvent.Started.class,
                s -> assertThat(s.startStep()).isEqualTo(3));
        assertThat(events).filteredOn(TrainingEvent.Step.class::isInstance).hasSize(5);
        assertThat(ModelFolder.readMetadata(out).method()).isEqualTo("lora");
    }

    @Test
    void a_head_stopped_while_embedding_keeps_what_it_embedded(@TempDir Path other) {
        Path out = dir.resolve("head");
        AdaptationSpec spec = AdaptationSpec.builder().base(ModelRef.of(base)).method(AdaptationMethod.HEAD)
                .task(AdaptationTask.CLASSIFY).train(labelled).training(TrainingConfig.builder().epochs(3)
                        .batchSize(8).learningRate(1e-2).seed(3).build()).maxLength(16).outputDir(out).build();
        TrainingResult straight = adapter().adapt(AdaptationSpec.builder().base(ModelRef.of(base))
                .method(AdaptationMethod.HEAD).task(AdaptationTask.CLASSIFY).train(labelled)
                .training(spec.training()).maxLength(16).outputDir(other.resolve("straight")).build());
        AtomicBoolean embeddedOnce = new AtomicBoolean();
        TrainingListener stopAfterFirstChunk = new TrainingListener() {
            @Override
            public void onEvent(TrainingEvent event) {
                if (event instanceof TrainingEvent.Step) {
                    embeddedOnce.set(true);
                }
            }

            @Override
            public boolean stopRequested() {
                return embeddedOnce.get();
            }
        };
        // 60 texts fit one chunk, so the stop comes after embedding, before the head trains
        assertThatThrownBy(() -> adapter().adapt(spec, stopAfterFirstChunk))
                .isInstanceOfSatisfying(TrainingStoppedException.class, e -> assertThat(e.step()).isEqualTo(60));
        List<TrainingEvent> events = new ArrayList<>();
        TrainingResult resumed = adapter().adapt(spec, events::add);
        assertThat(events).as("nothing embedded again").noneMatch(e -> e instanceof TrainingEvent.Step s
                && Double.isNaN(s.loss()));
        assertThat(resumed.trainLoss()).isCloseTo(straight.trainLoss(), within(1e-9));
        assertThat(ModelFolder.readMetadata(out).method()).isEqualTo("head");
    }

    @Test
    void what_a_killed_adaptation_left_half_written_never_blocks_the_next_run() throws IOException {
        Path out = dir.resolve("killed");
        Path staging = AdaptRun.staging(out);
        // a run killed mid-write: a partial config, a temporary file, and its lock file (stale: its process is gone)
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("config.json"), "{\"model_ty");
        Files.writeString(staging.resolve(".model.safetensors.123.tmp"), "half");
        Files.writeString(staging.resolve(dev.keel.spi.checkpoint.FolderLock.FILE), "{\"pid\": 999999999}");
        assertThat(out).as("the output folder never held a half-written model").doesNotExist();
        TrainingResult r = adapter().adapt(spec(AdaptationMethod.FULL, AdaptationTask.CAUSAL_LM, domain, out, 3));
        assertThat(r.output()).isEqualTo(out.toAbsolutePath().normalize());
        assertThat(ModelFolder.readMetadata(out).method()).isEqualTo("full");
        assertThat(out.resolve(".model.safetensors.123.tmp")).doesNotExist();
        assertThat(out.resolve(dev.keel.spi.checkpoint.FolderLock.FILE)).doesNotExist();
        assertThat(staging).doesNotExist();
    }
}
