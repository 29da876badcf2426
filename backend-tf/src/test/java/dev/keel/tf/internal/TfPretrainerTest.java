package dev.keel.tf.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.Capability;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.SessionOptions;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.train.PretrainCheckpoint;
import dev.keel.spi.tck.KitModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfPretrainerTest {
    private static final Gpt2Config ARCH = Gpt2Config.builder().vocabSize(1).blockSize(16).embedding(32).layers(2)
            .heads(4).build();

    @TempDir
    static Path tmp;
    private static Path corpus;

    @BeforeAll
    static void corpus() throws IOException {
        KitModels.tokenCacheIn(tmp);
        StringBuilder text = new StringBuilder();
        String[] lines = {"the king is dead, long live the king.", "to be or not to be, that is the question.",
            "a horse, a horse, my kingdom for a horse!", "all the world's a stage."};
        for (int i = 0; i < 120; i++) {
            text.append(lines[(i * 7) % lines.length]).append('\n');
        }
        corpus = Files.writeString(tmp.resolve("corpus.txt"), text);
    }

    private static TrainingConfig.Builder schedule() {
        return TrainingConfig.builder().batchSize(8).blockSize(16).learningRate(3e-3).minLearningRate(3e-4)
                .warmupSteps(5).weightDecay(0.1).gradClip(1.0).seed(11).evalIters(4).evalInterval(30);
    }

    private static PretrainSpec spec(Path out, TrainingConfig tc, boolean resume) {
        return PretrainSpec.builder().architecture(ARCH).corpus(corpus).training(tc).outputDir(out).resume(resume).build();
    }

    @Test
    void loss_goes_down_and_the_folder_it_writes_is_served_with_matching_logits() {
        Path out = tmp.resolve("trained");
        List<TrainingEvent> events = new ArrayList<>();
        TrainingResult r = new TfBackendProvider().pretrainer(Device.cpu())
                .pretrain(spec(out, schedule().maxSteps(90).build(), false), events::add);

        List<Double> losses = events.stream().filter(e -> e instanceof TrainingEvent.Step)
                .map(e -> ((TrainingEvent.Step) e).loss()).toList();
        assertThat(losses).hasSize(90);
        assertThat(losses.get(0)).isBetween(Math.log(20) - 0.5, Math.log(40) + 0.5);
        assertThat(r.valLoss()).isLessThan(losses.get(0) - 1.0);
        assertThat(events.get(0)).isInstanceOf(TrainingEvent.Started.class);
        assertThat(events.get(events.size() - 1)).isInstanceOf(TrainingEvent.Finished.class);
        assertThat(events).anyMatch(e -> e instanceof TrainingEvent.CheckpointSaved);
        assertThat(ModelFolder.readMetadata(out).createdBy()).isEqualTo("tf");

        Gpt2Weights saved = Gpt2Weights.read(out);
        try (InferenceSession s = new TfBackendProvider().open(ModelRef.of(out), SessionOptions.defaults())) {
            int[] ids = s.tokenizer().encode("to be or not to");
            double[][] ref = Gpt2Fixtures.referenceLogits(saved.config(), saved.values(), ids);
            float[][] got = s.logits(ids);
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < ref[t].length; v++) {
                    assertThat(Math.abs(got[t][v] - ref[t][v])).isLessThanOrEqualTo(1e-4);
                }
            }
            double val = s.evaluate(TextCorpus.of(corpus), Split.VAL).loss();
            assertThat(val).isLessThan(losses.get(0) - 1.0);
        }
    }

    @Test
    void a_resumed_run_continues_where_it_stopped() {
        TrainingConfig twenty = schedule().maxSteps(20).evalInterval(10).build();
        Path straight = tmp.resolve("straight");
        new TfPretrainer(2).pretrain(spec(straight, twenty, false));

        Path resumed = tmp.resolve("resumed");
        new TfPretrainer(2).pretrain(spec(resumed, twenty.toBuilder().maxSteps(10).decaySteps(20).build(), false));
        TrainingResult r = new TfPretrainer(2).pretrain(spec(resumed, twenty.toBuilder().decaySteps(20).build(), true));

        assertThat(r.steps()).isEqualTo(20);
        assertThat(resumed.resolve(PretrainCheckpoint.DIR).resolve(PretrainCheckpoint.STATE)).exists();
        Map<String, float[]> a = Gpt2Weights.read(straight).values();
        Map<String, float[]> b = Gpt2Weights.read(resumed).values();
        for (String name : a.keySet()) {
            float[] x = a.get(name);
            float[] y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                assertThat(Math.abs(x[i] - y[i])).as(name).isLessThan(1e-4f);
            }
        }
    }

    @Test
    void resuming_a_folder_without_resume_state_says_so(@TempDir Path dir) {
        Path plain = Gpt2Fixtures.write(dir.resolve("plain"), Gpt2Fixtures.config(16, 32, 2, 4),
                Gpt2Fixtures.randomWeights(Gpt2Fixtures.config(16, 32, 2, 4), 1));
        Gpt2Config arch = Gpt2Config.builder().vocabSize(1).blockSize(16).embedding(32).layers(2).heads(4).build();
        assertThatThrownBy(() -> new TfPretrainer(1).pretrain(PretrainSpec.builder().architecture(arch).corpus(corpus)
                .training(schedule().build()).outputDir(plain).resume(true).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("nothing to resume")
                .hasMessageContaining("pre-train into a new folder");
    }

    @Test
    void settings_it_cannot_honour_are_refused_before_training() {
        var p = new TfBackendProvider();
        assertThat(p.capabilities().supports(Capability.PRETRAIN, ModelFamily.GPT2)).isTrue();
        Gpt2Config withDropout = Gpt2Config.builder().vocabSize(1).blockSize(16).embedding(32).layers(1).heads(4)
                .dropout(0.1).build();
        assertThatThrownBy(() -> p.pretrainer(Device.cpu()).pretrain(PretrainSpec.builder().architecture(withDropout)
                .corpus(corpus).outputDir(tmp.resolve("x")).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("dropout");
        assertThatThrownBy(() -> p.pretrainer(Device.cpu()).pretrain(spec(tmp.resolve("y"),
                schedule().blockSize(32).build(), false)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("n_positions");
        assertThat(tmp.resolve("x")).doesNotExist();
        assertThat(tmp.resolve("y")).doesNotExist();
    }
}
