package dev.keel.iterate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationSpec;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.LoraConfig;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateResult;
import dev.keel.api.iterate.ModelRegistry;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.model.ModelFamily;
import dev.keel.api.train.PretrainSpec;
import dev.keel.api.train.TrainingConfig;
import dev.keel.api.train.TrainingListener;
import dev.keel.iterate.data.DataChecks;
import dev.keel.iterate.shadow.CapturedInputFile;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.KeelRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds on gpt2 champions, on real engines with a tiny character model pre-trained here: a causal LM that
 * iterates on new text (promoted when the held-out perplexity falls; refused by the forgetting gate when it
 * trains hard on narrow text without replay), a prompt-response LoRA that iterates on new pairs, and the bad
 * inputs a language model's round refuses before training.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LanguageModelRoundTest {
    private static final String[] FARM = {"the cat sat on the mat", "a dog ran to the log", "the hen is in the pen",
        "a pig dug in the mud", "the cow ate the hay", "we fed the dog at noon"};
    private static final String[] SEA = {"the ship sails on the sea", "a gull flies over the bay", "waves break on the rocks",
        "the crew pulls the rope", "fish swim below the boat", "the tide comes in at dusk"};
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz. \n";

    Path dir;
    KeelRuntime runtime;
    ModelRegistry registry;
    Path farm;
    Path farmGolden;
    Path sea;
    Path pretrained;

    @BeforeAll
    void pretrainATinyCharacterModel(@TempDir Path tmp) throws IOException {
        dir = tmp;
        System.setProperty(dev.keel.spi.KeelCache.PROPERTY, dir.resolve("cache").toString());
        farm = Files.writeString(dir.resolve("farm.txt"), ALPHABET + text(FARM, 600, 1));
        farmGolden = Files.writeString(dir.resolve("farm-golden.txt"), text(FARM, 120, 2));
        sea = Files.writeString(dir.resolve("sea.txt"), text(SEA, 300, 3));
        runtime = KeelRuntime.builder().build();
        pretrained = runtime.pretrainer(ModelFamily.GPT2).pretrain(PretrainSpec.builder()
                .architecture(new Gpt2Config(1, 32, 32, 2, 2, 0.0, true, 1e-5)).corpus(farm)
                .outputDir(dir.resolve("pretrained"))
                .training(TrainingConfig.builder().maxSteps(150).batchSize(16).blockSize(32).learningRate(1e-2)
                        .minLearningRate(1e-3).warmupSteps(10).evalInterval(0).evalIters(0).seed(7).build())
                .build()).output();
    }

    @AfterAll
    void close() {
        if (registry != null) {
            registry.close();
        }
    }

    /** Sentences drawn from {@code pool}, four to a paragraph, paragraphs separated by blank lines. */
    static String text(String[] pool, int sentences, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            sb.append(pool[r.nextInt(pool.length)]).append(".\n");
            if (i % 4 == 3) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private ModelRegistry registryWith(String name, Path model) {
        ModelRegistry r = JdbcModelRegistry.open(dir.resolve("registry-" + name));
        r.register(Registration.of(name, model).alias(ContinuousLearning.CHAMPION).reason("test champion").build());
        return r;
    }

    private ContinuousLearning.Builder loop(ModelRegistry r, String name, Path data) {
        return ContinuousLearning.builder().runtime(runtime).registry(r).name(name).newData(data)
                .workDir(dir.resolve("work")).seed(11).batchSize(8);
    }

    @Test
    void new_text_of_another_domain_lowers_the_held_out_perplexity_and_the_challenger_is_promoted() {
        try (ModelRegistry r = registryWith("lm", pretrained)) {
            RoundResult result = loop(r, "lm", sea).replayData(farm).replayFraction(0.5).golden("farm", farmGolden)
                    .gate("perplexity:min_rel_change=0.05").gate("forgetting<=0.5").serveOn("djl")
                    // the serving gate must run and answer; its p99 ratio over a few tiny-model calls swings past
                    // the default factor of 2 on a busy machine (2.22 seen), and RoundRefusalTest covers its arithmetic
                    .latencyFactor(20)
                    .learningRate(1e-3).epochs(2).promotion(ContinuousLearning.Promotion.AUTO).build()
                    .run(Trigger.manual("test"));

            Map<String, Map<String, Double>> heldout = result.metrics().get("heldout");
            assertThat(heldout.get("challenger").get("perplexity"))
                    .isLessThan(heldout.get("champion").get("perplexity") * 0.95);
            assertThat(result.gates().results()).extracting(GateResult::kind)
                    .contains(GateKind.QUALITY, GateKind.FORGETTING, GateKind.SERVING);
            assertThat(result.gates().passed()).as(result.gates().results().toString()).isTrue();
            assertThat(result.decision()).isEqualTo(RoundResult.Decision.PROMOTED);
            assertThat(r.resolve("lm", ContinuousLearning.CHAMPION).orElseThrow().version()).isEqualTo(2);
            // replay came from the pre-training text, verified against the corpus fingerprint keel pretrain records
            @SuppressWarnings("unchecked")
            Map<String, Object> replay = (Map<String, Object>) result.data().get("replay");
            assertThat(replay).containsEntry("verified", true);
            assertThat(((Number) replay.get("blocks")).intValue()).isPositive();
            assertThat(result.data()).containsKey("not_applicable");
            // the challenger keeps its text, so the next round replays it without --replay-data
            Path v2 = r.open("lm", 2);
            assertThat(v2.resolve(ContinuousLearning.DATA_DIR).resolve("train.txt")).isRegularFile();
            assertThat(v2.resolve(ContinuousLearning.ROUND_FILE)).isRegularFile();
        }
    }

    @Test
    void training_hard_on_narrow_text_without_replay_is_refused_by_the_forgetting_gate() throws IOException {
        Path narrow = Files.writeString(dir.resolve("narrow.txt"), text(new String[] {SEA[0], SEA[1]}, 200, 5));
        try (ModelRegistry r = registryWith("narrow", pretrained)) {
            RoundResult result = loop(r, "narrow", narrow).replayFraction(0).golden("farm", farmGolden)
                    .gate("forgetting<=0.05").learningRate(2e-2).epochs(4).method(AdaptationMethod.FULL)
                    .promotion(ContinuousLearning.Promotion.AUTO).build().run(Trigger.manual("test"));

            assertThat(result.decision()).isEqualTo(RoundResult.Decision.REFUSED);
            GateResult forgetting = result.gates().failures().get(0);
            assertThat(forgetting.kind()).isEqualTo(GateKind.FORGETTING);
            assertThat(forgetting.set()).isEqualTo("farm");
            assertThat(forgetting.value()).isGreaterThan(forgetting.baseline() + 0.05);
            assertThat(r.resolve("narrow", ContinuousLearning.CHAMPION).orElseThrow().version()).isEqualTo(1);
            assertThat(r.versions("narrow")).extracting(ModelVersion::version).containsExactly(1, 2);
        }
    }

    @Test
    void a_prompt_response_lora_champion_iterates_on_new_pairs_from_its_adapter() throws IOException {
        Path champion = pairsChampion();
        Path pairs = dir.resolve("pairs.tsv");
        Path more = Files.writeString(dir.resolve("more-pairs.tsv"), pairs(60, 60));
        Path captured = Files.writeString(dir.resolve("captured.txt"), "say one two twice\nsay nine nine twice\n");
        try (ModelRegistry r = registryWith("pr", champion)) {
            ContinuousLearning loop = loop(r, "pr", more).replayData(pairs).replayFraction(0.2)
                    .shadow(new CapturedInputFile(captured), 10).gate("loss:min_abs_change=0")
                    .gate("shadow_agreement>=0").learningRate(1e-2).epochs(3).build();
            RoundResult plan = loop.plan(Trigger.manual("test"));
            @SuppressWarnings("unchecked")
            Map<String, Object> planned = (Map<String, Object>) plan.data().get("plan");
            assertThat(planned).containsEntry("task", "prompt-response").containsEntry("method", "lora")
                    .containsEntry("lora_r", 4);
            assertThat(planned.get("warm_start")).isNotNull();

            RoundResult result = loop.run(Trigger.manual("test"));
            Map<String, Map<String, Double>> heldout = result.metrics().get("heldout");
            assertThat(heldout.get("challenger").get("loss")).isLessThan(heldout.get("champion").get("loss"));
            assertThat(result.metrics().get("shadow").get("challenger")).containsEntry("inputs", 2.0)
                    .containsKey("shadow_agreement");
            assertThat(result.decision()).isEqualTo(RoundResult.Decision.AWAITING_APPROVAL);
        }
    }

    private Path prChampion;

    /** A prompt-response LoRA over the pre-trained model, adapted once for the tests that need one. */
    private synchronized Path pairsChampion() throws IOException {
        if (prChampion == null) {
            Path pairs = Files.writeString(dir.resolve("pairs.tsv"), pairs(0, 60));
            prChampion = runtime.adapter(ModelFamily.GPT2).adapt(AdaptationSpec.builder()
                    .base(ModelRef.of(pretrained)).method(AdaptationMethod.LORA).task(AdaptationTask.PROMPT_RESPONSE)
                    .train(pairs).lora(new LoraConfig(4, 8, 0.0, List.of()))
                    .training(TrainingConfig.builder().maxSteps(40).batchSize(8).learningRate(1e-2).minLearningRate(0)
                            .warmupSteps(2).seed(3).build())
                    .maxLength(32).outputDir(dir.resolve("pr-champion")).build(), TrainingListener.NONE).output();
        }
        return prChampion;
    }

    /** "what is N" -> the number's words, a task the tiny model can learn a little of. */
    static String pairs(int from, int count) {
        String[] words = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < from + count; i++) {
            String n = Integer.toString(i);
            StringBuilder answer = new StringBuilder();
            for (char c : n.toCharArray()) {
                answer.append(answer.length() == 0 ? "" : " ").append(words[c - '0']);
            }
            // digits are not in the farm vocabulary: spell the question too
            sb.append("say ").append(answer).append(" twice\t").append(answer).append(' ').append(answer).append('\n');
        }
        return sb.toString();
    }

    @Test
    void bad_inputs_are_refused_before_training_naming_what_was_found_and_the_fix() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        Path labelled = Files.writeString(dir.resolve("labelled.tsv"), "the cat sat\tpositive\na dog ran\tnegative\n");
        Path foreign = Files.writeString(dir.resolve("foreign.txt"), text(SEA, 40, 9).replace('e', 'É'));
        try (ModelRegistry r = registryWith("bad", pretrained)) {
            assertThatThrownBy(() -> loop(r, "bad", empty).replayFraction(0).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("is empty");
            assertThatThrownBy(() -> loop(r, "bad", labelled).replayFraction(0).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("prompt/response pairs")
                    .hasMessageContaining("plain text");
            assertThatThrownBy(() -> loop(r, "bad", foreign).replayFraction(0).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("tokenizer");
            assertThatThrownBy(() -> loop(r, "bad", sea).replayFraction(0).gate("accuracy>=0.9").build()
                    .run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("classifier's predictions")
                    .hasMessageContaining("perplexity");
            assertThatThrownBy(() -> loop(r, "bad", sea).replayFraction(0).gate("flip_rate<=0.05")
                    .biasProbes(dev.keel.iterate.eval.BiasProbes.sst2Gender()).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("no bias gate is run");
            assertThatThrownBy(() -> loop(r, "bad", sea).replayFraction(0.2).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("--replay-data");
            // the golden text is also in the new text: leakage, refused when asked to
            Path leaky = Files.writeString(dir.resolve("leaky.txt"), Files.readString(sea) + "\n"
                    + Files.readString(farmGolden));
            assertThatThrownBy(() -> loop(r, "bad", leaky).replayFraction(0).golden("farm", farmGolden)
                    .leakage(DataChecks.Leakage.REFUSE).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("leakage");
            assertThat(r.versions("bad")).hasSize(1);
        }
        try (ModelRegistry r = registryWith("bad-pr", pairsChampion())) {
            assertThatThrownBy(() -> loop(r, "bad-pr", sea).replayFraction(0).build().run(Trigger.manual("t")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("is plain text")
                    .hasMessageContaining("prompt-response");
        }
    }

    @Test
    void the_forgetting_gate_of_a_language_model_bounds_the_rise_of_golden_loss_and_perplexity_gates_read_lower_as_better() {
        List<dev.keel.iterate.gate.Gate> gates = LanguageModelRound.gates(List.of(
                dev.keel.iterate.gate.Gate.parse("forgetting<=0.1"),
                dev.keel.iterate.gate.Gate.parse("perplexity:min_rel_change=0.05")));
        dev.keel.iterate.gate.Evaluations e = new dev.keel.iterate.gate.Evaluations(
                Map.of("heldout", Map.of("perplexity", 9.4), "a", Map.of("loss", 1.09), "b", Map.of("loss", 1.11)),
                Map.of("heldout", Map.of("perplexity", 10.0), "a", Map.of("loss", 1.0), "b", Map.of("loss", 1.0)),
                List.of("a", "b"));
        List<GateResult> results = dev.keel.iterate.gate.Gates.evaluate(gates, e).results();
        // loss may rise 0.1 nats: 1.09 passes and 1.11 fails; perplexity must fall 5%: 9.4 <= 9.5 passes
        assertThat(results).extracting(GateResult::set, GateResult::passed).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", true), org.assertj.core.groups.Tuple.tuple("b", false),
                org.assertj.core.groups.Tuple.tuple("heldout", true));
        assertThat(results.get(1).threshold()).isCloseTo(1.1, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(results.get(2).threshold()).isCloseTo(9.5, org.assertj.core.data.Offset.offset(1e-12));
    }
}
