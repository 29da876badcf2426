package dev.keel.spi.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.Capability;
import dev.keel.api.CheckpointException;
import dev.keel.api.Device;
import dev.keel.api.InvalidInputException;
import dev.keel.api.UnsupportedCapabilityException;
import dev.keel.api.data.Split;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TokenizerSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingEvent;
import dev.keel.api.train.TrainingResult;
import dev.keel.spi.checkpoint.Gpt2Layout;
import dev.keel.spi.checkpoint.ModelFolder;
import dev.keel.spi.checkpoint.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apiguardian.api.API;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-training a gpt2 model: the loss falls, the folder is portable, runs repeat under a seed, resume
 * continues the same run, and bad input is refused (with an exception the CLI maps to exit status 2) before
 * anything is written. A backend that does not
 * declare pre-training for gpt2 must refuse it with {@link UnsupportedCapabilityException}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface PretrainChecks extends KitBase {

    /** Runs the spec, or asserts the clear refusal and returns null when gpt2 pre-training is not declared. */
    private TrainingResult pretrainOrRefuse(PretrainSpec spec, List<Double> losses) {
        if (!supports(Capability.PRETRAIN, ModelFamily.GPT2)) {
            assertThatThrownBy(() -> provider().pretrainer(Device.cpu()).pretrain(spec))
                    .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining(provider().name());
            return null;
        }
        return provider().pretrainer(Device.cpu()).pretrain(spec, e -> {
            if (e instanceof TrainingEvent.Step s) {
                losses.add(s.loss());
            }
        });
    }

    @Test
    default void pretraining_a_tiny_gpt2_lowers_the_loss_and_writes_a_portable_folder(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path out = dir.resolve("out");
        List<Double> losses = new ArrayList<>();
        TrainingResult result = pretrainOrRefuse(KitModels.pretrain(KitModels.writeCorpus(dir), out).build(), losses);
        if (result == null) {
            return;
        }
        assertThat(losses).hasSize(30);
        assertThat(losses.get(0)).isCloseTo(Math.log(KitModels.TOKENIZER.vocabSize()), within(0.5));
        assertThat(result.valLoss()).isLessThan(losses.get(0) - 0.5);
        assertThat(result.parameters()).isPositive();
        assertThat(ModelFolder.readConfig(out).family()).isEqualTo(ModelFamily.GPT2);
        assertThat(ModelFolder.readTokenizer(out).vocabSize()).isEqualTo(KitModels.TOKENIZER.vocabSize());
        assertThat(Safetensors.read(out.resolve(ModelFolder.WEIGHTS)).tensors().keySet())
                .containsAll(Gpt2Layout.shapes(KitModels.GPT2).keySet());
        assertThat(out.resolve(ModelFolder.KEEL)).exists();
    }

    @Test
    default void pretraining_repeats_under_a_seed(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        var training = KitModels.training().maxSteps(5).evalInterval(0).build();
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        if (pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("a")).training(training).build(), a) == null) {
            return;
        }
        pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("b")).training(training).build(), b);
        assertThat(a).hasSize(5).isEqualTo(b);
    }

    @Test
    default void resuming_continues_the_same_run(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        var full = KitModels.training().maxSteps(8).decaySteps(8).evalInterval(4).evalIters(1).build();
        List<Double> straight = new ArrayList<>();
        if (pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("s")).training(full).build(), straight) == null) {
            return;
        }
        List<Double> joined = new ArrayList<>();
        pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("r")).training(full.toBuilder().maxSteps(4).build())
                .build(), joined);
        pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("r")).training(full).resume(true).build(), joined);
        assertThat(joined).hasSize(8);
        for (int i = 0; i < 8; i++) {
            assertThat(joined.get(i)).as("step %d", i + 1).isCloseTo(straight.get(i), within(1e-4));
        }
    }

    /**
     * Issue 16: {@code epochs(1)} means one pass over the training split (no default step count overrides it),
     * and the default 100-step warmup, longer than this short run, is fitted so the rate still reaches its peak.
     */
    @Test
    default void a_run_by_epochs_makes_one_pass_and_a_too_long_warmup_still_reaches_the_peak_rate(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        TrainingConfig oneEpoch = TrainingConfig.builder().epochs(1).batchSize(8).blockSize(16).learningRate(1e-2)
                .minLearningRate(1e-3).evalInterval(0).evalIters(0).seed(11).build();
        List<Double> rates = new ArrayList<>();
        PretrainSpec spec = KitModels.pretrain(KitModels.writeCorpus(dir), dir.resolve("out")).training(oneEpoch).build();
        if (!supports(Capability.PRETRAIN, ModelFamily.GPT2)) {
            pretrainOrRefuse(spec, new ArrayList<>());
            return;
        }
        TrainingResult result = provider().pretrainer(Device.cpu()).pretrain(spec, e -> {
            if (e instanceof TrainingEvent.Step s) {
                rates.add(s.learningRate());
            }
        });
        int trainTokens = (int) Math.floor(KitModels.TEXT.length() * Split.TRAIN_FRACTION);
        int stepsPerEpoch = trainTokens / (8 * 16);
        assertThat(rates).as("one epoch of %d training tokens in batches of 8 x 16", trainTokens).hasSize(stepsPerEpoch);
        assertThat(result.steps()).isEqualTo(stepsPerEpoch);
        assertThat(rates.stream().mapToDouble(Double::doubleValue).max().orElseThrow())
                .as("the peak rate, reached although the default warmup (100) is longer than the run")
                .isCloseTo(1e-2, within(1e-9));
    }

    /** A family the pre-trainer does not train is a capability it lacks: the same exception on every backend. */
    @Test
    default void an_architecture_of_another_family_is_refused_with_UnsupportedCapabilityException(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path out = dir.resolve("out");
        PretrainSpec bert = KitModels.pretrain(KitModels.writeCorpus(dir), out).architecture(KitModels.BERT).build();
        assertThatThrownBy(() -> provider().pretrainer(Device.cpu()).pretrain(bert))
                .as("backend '%s' pre-training a bert architecture", provider().name())
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining(provider().name());
        assertThat(out).as("nothing written for a refused run").doesNotExist();
    }

    @Test
    default void bad_pretraining_input_is_refused_before_anything_is_written(@TempDir Path dir) throws IOException {
        KitModels.tokenCacheIn(dir);
        Path out = dir.resolve("out");
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        Path tiny = Files.writeString(dir.resolve("tiny.txt"), "abc\n");
        Path corpus = KitModels.writeCorpus(dir);
        List<PretrainSpec> bad = List.of(
                KitModels.pretrain(empty, out).build(),
                KitModels.pretrain(tiny, out).build(),
                // an unknown tokenizer kind cannot be built any more (TokenizerKind); a missing file still reaches it
                KitModels.pretrain(corpus, out).tokenizer(TokenizerSpec.hfFile(dir.resolve("missing.json"))).build());
        for (PretrainSpec spec : bad) {
            if (!supports(Capability.PRETRAIN, ModelFamily.GPT2)) {
                pretrainOrRefuse(spec, new ArrayList<>());
                continue;
            }
            assertThatThrownBy(() -> provider().pretrainer(Device.cpu()).pretrain(spec))
                    .as("%s with tokenizer %s", spec.corpus().source().getFileName(), spec.tokenizer())
                    .isInstanceOfAny(InvalidInputException.class, CheckpointException.class);
            if (Files.exists(out)) {
                try (Stream<Path> files = Files.list(out)) {
                    assertThat(files.toList()).as("files written for bad input").isEmpty();
                }
            }
        }
    }
}
