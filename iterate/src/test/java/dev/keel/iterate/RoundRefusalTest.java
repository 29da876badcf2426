package dev.keel.iterate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateResult;
import dev.keel.api.iterate.ModelVersion;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.iterate.eval.BiasProbes;
import dev.keel.iterate.shadow.CapturedInputFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Rounds that must not promote: every gate kind refusing, a dry run, and data refused before training. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoundRefusalTest {
    LoopFixture f;

    @BeforeAll
    void champion(@TempDir Path dir) throws Exception {
        f = new LoopFixture(dir);
    }

    @AfterAll
    void close() {
        f.close();
    }

    @Test
    void a_challenger_failing_every_gate_kind_is_registered_with_all_failures_and_serving_is_untouched() {
        // a probe whose groups differ in a sentiment word: every sensible model flips it, so the bias gate refuses
        BiasProbes loaded = BiasProbes.parse("{\"template\": \"{term} service from start to finish.\", "
                + "\"terms\": {\"a\": \"Great\", \"b\": \"Awful\"}, \"label\": \"1\"}\n", "test");
        ContinuousLearning loop = f.loop(300).replayFraction(0)
                .gate("accuracy>=0.99")                       // quality: no head gets 99% on reviews
                .gate("forgetting<=0.0")                      // forgetting: no replay, a narrow slice of reviews
                .biasProbes(loaded).gate("flip_rate<=0.05")   // bias
                .serveOn("onnx").gate("latency_ratio<=0.001") // serving: not a thousand times faster than the champion
                .shadow(new CapturedInputFile(f.reviewsHeldout), 60).gate("shadow_agreement>=1") // shadow
                .promotion(ContinuousLearning.Promotion.AUTO).build();
        RoundResult r = loop.run(Trigger.manual("test"));

        assertThat(r.decision()).isEqualTo(RoundResult.Decision.REFUSED);
        assertThat(r.promoted()).isFalse();
        Map<GateKind, Long> failedKinds = r.gates().failures().stream()
                .collect(Collectors.groupingBy(GateResult::kind, Collectors.counting()));
        assertThat(failedKinds).containsOnlyKeys(GateKind.QUALITY, GateKind.FORGETTING, GateKind.BIAS,
                GateKind.SERVING, GateKind.SHADOW);
        // the serving gate's own default check passed: the challenger loads and answers on onnx
        assertThat(r.gates().results()).anySatisfy(g -> {
            assertThat(g.name()).startsWith("answers@serving:onnx");
            assertThat(g.passed()).isTrue();
        });
        assertThat(r.data()).containsEntry("new_rows", 300);
        assertThat(f.registry.resolve(LoopFixture.NAME, ContinuousLearning.CHAMPION).orElseThrow().version())
                .isEqualTo(f.champion.version());
        ModelVersion challenger = f.registry.version(LoopFixture.NAME, r.challengerVersion());
        assertThat(f.registry.resolve(LoopFixture.NAME, ContinuousLearning.CHALLENGER).orElseThrow().version())
                .isEqualTo(challenger.version());
        assertThat(challenger.tags()).containsEntry("round.decision", "refused");
        assertThat(challenger.metrics()).containsKeys("heldout.accuracy", "sst2-dev.accuracy", "bias.flip_rate",
                "shadow.shadow_agreement", "serving:onnx.latency_p99_ms");
        assertThat(challenger.modelCard()).contains("**FAIL**");
    }

    @Test
    void a_dry_run_plans_the_training_and_gates_without_training_or_registering() {
        int versions = f.registry.versions(LoopFixture.NAME).size();
        RoundResult r = f.loop(300).gate("accuracy:min_abs_change=0.01").gate("forgetting<=0.01").build()
                .plan(Trigger.manual("test"));
        assertThat(r.decision()).isEqualTo(RoundResult.Decision.DRY_RUN);
        assertThat(r.challengerVersion()).isNull();
        assertThat(f.registry.versions(LoopFixture.NAME)).hasSize(versions);
        @SuppressWarnings("unchecked")
        Map<String, Object> plan = (Map<String, Object>) r.data().get("plan");
        assertThat(plan).containsEntry("method", "head").containsEntry("base", "builtin:all-minilm-l6-v2");
        assertThat(plan).containsKey("warm_start");
        assertThat(r.data().get("gates_planned")).isEqualTo(List.of("accuracy:min_abs_change=0.01", "forgetting<=0.01"));
        assertThat(r.data()).containsEntry("new_train_rows", 240);
        @SuppressWarnings("unchecked")
        Map<String, Object> replay = (Map<String, Object>) r.data().get("replay");
        assertThat(replay).containsEntry("rows", 60).containsEntry("verified", true);
    }

    @Test
    void bad_new_data_is_refused_before_training_and_leaves_the_registry_as_it_was() {
        int versions = f.registry.versions(LoopFixture.NAME).size();
        List<LabelledRow> positives = List.of(LabelledRow.of("great phone", "1"), LabelledRow.of("great food", "1"),
                LabelledRow.of("great bag", "1"), LabelledRow.of("great shoes", "1"));
        ContinuousLearning oneClass = f.loop(10).newData(NewData.of("positives", () -> positives)).build();
        assertThatThrownBy(() -> oneClass.run(Trigger.manual("test"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("only the label [1]");
        List<LabelledRow> neutral = List.of(LabelledRow.of("ok phone", "neutral"), LabelledRow.of("fine food", "neutral"),
                LabelledRow.of("bad bag", "0"), LabelledRow.of("good shoes", "1"));
        ContinuousLearning newLabel = f.loop(10).newData(NewData.of("three labels", () -> neutral)).build();
        assertThatThrownBy(() -> newLabel.run(Trigger.manual("test"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[neutral]");
        ContinuousLearning wrongReplay = f.loop(10).replayData(f.reviewsHeldout).build();
        assertThatThrownBy(() -> wrongReplay.run(Trigger.manual("test"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is not the data the champion");
        assertThat(f.registry.versions(LoopFixture.NAME)).hasSize(versions);
    }
}
