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
import dev.keel.spi.checkpoint.KeelMetadata;
import dev.keel.spi.checkpoint.Safetensors;
import dev.keel.spi.checkpoint.Tensor;
import dev.keel.spi.data.CorpusTokenizer;
import dev.keel.spi.data.TokenArray;
import dev.keel.spi.tokenize.Tokenizers;
import dev.keel.spi.train.PretrainCheckpoint;
import dev.keel.spi.train.PretrainLoop;
import dev.keel.spi.train.SplitMix64;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.tokenize.Tokenizer;
import java.util.Map;
import java.util.SplittableRandom;
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
 * anything is written. Runs start from Keel's common initial weights and batches, and write and read the one
 * resume-state format ({@link PretrainCheckpoint}), so a run started on one engine continues on another: the
 * kit resumes from states it writes itself, as another engine would. A backend that does not
 * declare pre-training for gpt2 must refuse it with {@link UnsupportedCapabilityException}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface PretrainChecks extends KitBase {

    /** Runs the spec, or asserts the clear refusal and skips the check when gpt2 pre-training is not declared. */
    private TrainingResult pretrainOrRefuse(PretrainSpec spec, List<Double> losses) {
        if (!supports(Capability.PRETRAIN, ModelFamily.GPT2)) {
            assertRefused(Capability.PRETRAIN, ModelFamily.GPT2, "pretrainer(cpu).pretrain(<gpt2 spec>)",
                    () -> provider().pretrainer(Device.cpu()).pretrain(spec));
            notApplicable(Capability.PRETRAIN, ModelFamily.GPT2, "its refusal was checked");
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
        KitBase.expectThrown(String.format("backend '%s' pre-training a bert architecture: Keel pre-trains gpt2 "
                + "only, so pretrain(<bert spec>) must throw UnsupportedCapabilityException naming '%s' before writing "
                + "anything", provider().name(), provider().name()),
                () -> provider().pretrainer(Device.cpu()).pretrain(bert))
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
            KitBase.expectThrown(String.format("pre-training on %s with tokenizer %s (an empty corpus, one too small for "
                    + "a block, a missing tokenizer file) must be refused with InvalidInputException or "
                    + "CheckpointException before anything is written", spec.corpus().source().getFileName(),
                    spec.tokenizer()), () -> provider().pretrainer(Device.cpu()).pretrain(spec))
                    .isInstanceOfAny(InvalidInputException.class, CheckpointException.class);
            if (Files.exists(out)) {
                try (Stream<Path> files = Files.list(out)) {
                    assertThat(files.toList()).as("files written for bad input").isEmpty();
                }
            }
        }
    }

    /** The train split as every engine tokenizes it, for computing expected losses in Java. */
    private static TokenArray trainSplit(Path corpus) {
        Tokenizer tokenizer = Tokenizers.forTraining(TokenizerSpec.chars(), TextCorpus.of(corpus));
        return CorpusTokenizer.tokenize(TextCorpus.of(corpus), tokenizer).split(Split.TRAIN);
    }

    private static double referenceLoss(Map<String, Tensor> weights, TokenArray train, long dataState,
            TrainingConfig tc) {
        int[][] batch = PretrainLoop.batch(train, new SplitMix64(dataState), tc.batchSize(), tc.blockSize());
        return new ReferenceGpt2(KitModels.GPT2, weights).loss(batch[0], batch[1], tc.batchSize());
    }

    @Test
    default void a_fresh_run_starts_from_the_common_initial_weights_and_batches(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        TrainingConfig training = KitModels.training().maxSteps(1).evalInterval(0).build();
        List<Double> losses = new ArrayList<>();
        if (pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("out")).training(training).build(), losses)
                == null) {
            return;
        }
        double expected = referenceLoss(PretrainLoop.initialWeights(KitModels.GPT2, training.seed()),
                trainSplit(corpus), training.seed(), training);
        assertThat(losses.get(0)).as("the first loss of a fresh run: PretrainLoop.initialWeights on the first batch "
                + "of PretrainLoop.batch, as every engine starts").isCloseTo(expected, within(1e-4));
    }

    @Test
    default void a_run_continues_from_a_resume_state_another_engine_wrote(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        Path out = dir.resolve("out");
        TrainingConfig training = KitModels.training().maxSteps(7).evalInterval(0).build();
        // a mid-run state as any engine writes it: weights, non-zero moments, step 5, a sampler position
        Map<String, Tensor> weights = KitModels.randomGpt2(KitModels.GPT2, 3);
        List<Tensor> moments = randomMoments(weights, 4);
        long dataState = new SplittableRandom(5).nextLong();
        Tokenizer tokenizer = Tokenizers.forTraining(TokenizerSpec.chars(), TextCorpus.of(corpus));
        String fingerprint = CorpusTokenizer.tokenize(TextCorpus.of(corpus), tokenizer).fingerprint();
        PretrainCheckpoint.write(out, KitModels.GPT2, List.copyOf(weights.values()), moments, tokenizer,
                KeelMetadata.create("another-engine", "pretrain"), new PretrainCheckpoint.State(5, dataState, 9.0,
                        training.seed(), fingerprint, KitModels.GPT2.toHfConfig(), "another-engine"));
        List<TrainingEvent> events = new ArrayList<>();
        if (!supports(Capability.PRETRAIN, ModelFamily.GPT2)) {
            pretrainOrRefuse(KitModels.pretrain(corpus, out).training(training).resume(true).build(), new ArrayList<>());
            return;
        }
        provider().pretrainer(Device.cpu()).pretrain(KitModels.pretrain(corpus, out).training(training).resume(true)
                .build(), events::add);
        assertThat(events.get(0)).isInstanceOfSatisfying(TrainingEvent.Started.class,
                s -> assertThat(s.startStep()).as("the step the resume state was saved at").isEqualTo(5));
        List<TrainingEvent.Step> steps = events.stream().filter(TrainingEvent.Step.class::isInstance)
                .map(TrainingEvent.Step.class::cast).toList();
        assertThat(steps).extracting(TrainingEvent.Step::step).containsExactly(6, 7);
        assertThat(steps.get(0).loss()).as("the first resumed loss: the state's weights on the batch its sampler "
                + "position draws").isCloseTo(referenceLoss(weights, trainSplit(corpus), dataState, training),
                within(1e-4));
        PretrainCheckpoint.Loaded after = PretrainCheckpoint.read(out.resolve(PretrainCheckpoint.DIR));
        assertThat(after.state().step()).isEqualTo(7);
        assertThat(after.state().backend()).isEqualTo(provider().name());
        SplitMix64 advanced = new SplitMix64(dataState);
        TokenArray train = trainSplit(corpus);
        PretrainLoop.batch(train, advanced, training.batchSize(), training.blockSize());
        PretrainLoop.batch(train, advanced, training.batchSize(), training.blockSize());
        assertThat(after.state().dataState()).as("the sampler advanced by the two batches taken")
                .isEqualTo(advanced.state());
    }

    @Test
    default void the_resume_state_a_backend_writes_is_the_common_format_and_all_of_it_is_used(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        TrainingConfig full = KitModels.training().maxSteps(8).decaySteps(8).evalInterval(0).build();
        Path own = dir.resolve("own");
        if (pretrainOrRefuse(KitModels.pretrain(corpus, own).training(full.toBuilder().maxSteps(4).build()).build(),
                new ArrayList<>()) == null) {
            return;
        }
        PretrainCheckpoint.Loaded state = PretrainCheckpoint.read(own.resolve(PretrainCheckpoint.DIR));
        assertThat(state.state().step()).isEqualTo(4);
        assertThat(state.state().backend()).isEqualTo(provider().name());
        assertThat(state.moments()).as("AdamW moments for every weight").hasSize(2 * state.weights().size());
        // the same state rewritten by the kit alone (reversed order, another writer): it must resume identically
        Path copy = dir.resolve("copy");
        List<Tensor> weights = new ArrayList<>(state.weights().values());
        java.util.Collections.reverse(weights);
        List<Tensor> moments = new ArrayList<>(state.moments().values());
        java.util.Collections.reverse(moments);
        PretrainCheckpoint.State kit = new PretrainCheckpoint.State(4, state.state().dataState(),
                state.state().bestValLoss(), state.state().seed(), state.state().corpus(),
                state.state().architecture(), "kit");
        PretrainCheckpoint.write(copy, state.config(), weights, moments, state.tokenizer(),
                KeelMetadata.create("kit", "pretrain"), kit);
        // and once more with the moments zeroed: resuming must then differ, or the moments were never read
        Path zeroed = dir.resolve("zeroed");
        List<Tensor> zeros = moments.stream().map(t -> Tensor.ofFloats(t.name(), t.shape(),
                new float[Math.toIntExact(Tensor.elementCount(t.shape()))])).toList();
        PretrainCheckpoint.write(zeroed, state.config(), weights, zeros, state.tokenizer(),
                KeelMetadata.create("kit", "pretrain"), kit);
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        List<Double> c = new ArrayList<>();
        pretrainOrRefuse(KitModels.pretrain(corpus, own).training(full).resume(true).build(), a);
        pretrainOrRefuse(KitModels.pretrain(corpus, copy).training(full).resume(true).build(), b);
        pretrainOrRefuse(KitModels.pretrain(corpus, zeroed).training(full).resume(true).build(), c);
        assertThat(b).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(b.get(i)).as("step %d resumed from the kit's copy of the state", i + 5)
                    .isCloseTo(a.get(i), within(1e-6));
        }
        assertThat(Math.abs(c.get(3) - a.get(3))).as("resuming with zeroed moments must change the run")
                .isGreaterThan(1e-6);
    }

    @Test
    default void a_run_asked_to_stop_saves_a_resumable_state_and_continues_exactly(@TempDir Path dir) {
        KitModels.tokenCacheIn(dir);
        Path corpus = KitModels.writeCorpus(dir);
        TrainingConfig full = KitModels.training().maxSteps(8).decaySteps(8).evalInterval(4).evalIters(1).build();
        List<Double> straight = new ArrayList<>();
        if (pretrainOrRefuse(KitModels.pretrain(corpus, dir.resolve("straight")).training(full).build(), straight)
                == null) {
            return;
        }
        Path out = dir.resolve("stopped");
        List<Double> joined = new ArrayList<>();
        dev.keel.api.train.TrainingListener stopAfterThree = new dev.keel.api.train.TrainingListener() {
            @Override
            public void onEvent(TrainingEvent e) {
                if (e instanceof TrainingEvent.Step s) {
                    joined.add(s.loss());
                }
            }

            @Override
            public boolean stopRequested() {
                return joined.size() >= 3;
            }
        };
        PretrainSpec spec = KitModels.pretrain(corpus, out).training(full).build();
        assertThatThrownBy(() -> provider().pretrainer(Device.cpu()).pretrain(spec, stopAfterThree))
                .as("a listener asking to stop ends the run at the next step boundary")
                .isInstanceOfSatisfying(dev.keel.api.train.TrainingStoppedException.class, e -> {
                    assertThat(e.step()).isEqualTo(3);
                    assertThat(e.maxSteps()).isEqualTo(8);
                    assertThat(e.checkpoint()).contains(out);
                });
        assertThat(PretrainCheckpoint.savedStep(out)).as("the stopped step is saved").contains(3);

        // Thread.interrupt() stops a run the same way, and the thread stays interrupted, as Java's convention asks
        Thread self = Thread.currentThread();
        PretrainSpec resume = KitModels.pretrain(corpus, out).training(full).resume(true).build();
        try {
            assertThatThrownBy(() -> provider().pretrainer(Device.cpu()).pretrain(resume, e -> {
                if (e instanceof TrainingEvent.Step s) {
                    joined.add(s.loss());
                    if (s.step() == 5) {
                        self.interrupt();
                    }
                }
            })).isInstanceOfSatisfying(dev.keel.api.train.TrainingStoppedException.class,
                    e -> assertThat(e.step()).isEqualTo(5));
            assertThat(self.isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        pretrainOrRefuse(resume, joined);
        assertThat(joined).hasSize(8);
        for (int i = 0; i < 8; i++) {
            assertThat(joined.get(i)).as("step %d", i + 1).isCloseTo(straight.get(i), within(1e-5));
        }
    }

    private static List<Tensor> randomMoments(Map<String, Tensor> weights, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Tensor> out = new ArrayList<>();
        for (Tensor w : weights.values()) {
            int n = Math.toIntExact(Tensor.elementCount(w.shape()));
            float[] m = new float[n];
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                m[i] = (float) ((r.nextDouble() - 0.5) * 1e-2);
                v[i] = (float) (r.nextDouble() * 1e-4);
            }
            out.add(Tensor.ofFloats(w.name() + ".exp_avg", w.shape(), m));
            out.add(Tensor.ofFloats(w.name() + ".exp_avg_sq", w.shape(), v));
        }
        return out;
    }
}
