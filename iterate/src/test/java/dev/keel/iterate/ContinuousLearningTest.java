package dev.keel.iterate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.GateKind;
import dev.keel.api.iterate.GateResult;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.api.monitor.Alert;
import dev.keel.iterate.trigger.RoundScheduler;
import dev.keel.runtime.iterate.AliasFollowingSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop end to end on real models: a film-review champion (MiniLM head over ONNX Runtime), an alert that
 * triggers a round on product/restaurant reviews, the gates, the promotion, and a serving session on
 * {@code registry:sentiment@champion} that switches to the new version under concurrent callers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContinuousLearningTest {
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
    void an_alert_triggers_a_round_whose_challenger_passes_the_gates_and_serving_switches_with_no_failed_call()
            throws Exception {
        ContinuousLearning loop = f.loop(500).replayFraction(0.5).gate("accuracy:min_abs_change=0.02").gate("forgetting<=0.05")
                .promotion(ContinuousLearning.Promotion.AUTO).build();
        try (InferenceSession serving = f.runtime.open(ModelRef.parse("registry:sentiment@champion"));
                RoundScheduler scheduler = RoundScheduler.builder().loop(loop).onAlert("accuracy").build()) {
            AliasFollowingSession following = (AliasFollowingSession) serving;
            int before = following.currentVersion();
            assertThat(before).isEqualTo(f.champion.version());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            ExecutorService callers = Executors.newFixedThreadPool(2);
            for (int t = 0; t < 2; t++) {
                callers.execute(() -> {
                    while (!stop.get()) {
                        try {
                            assertThat(serving.classify(List.of("The battery lasts two days.")).predictions()).hasSize(1);
                            calls.incrementAndGet();
                            Thread.sleep(5); // callers keep coming without starving the round of the two cores
                        } catch (RuntimeException | AssertionError e) {
                            failures.incrementAndGet();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
            }
            RoundScheduler.Firing firing = scheduler.fire(Trigger.alert(new Alert("accuracy", "accuracy", 0.7, 0.8,
                    "accuracy fell below 0.8", Instant.now())));
            RoundResult round = firing.round().get(10, TimeUnit.MINUTES);
            // serving follows the alias: wait (bounded) until the session answers from the new version
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (following.currentVersion() == before && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            int callsAtSwitch = calls.get();
            Thread.sleep(200);
            stop.set(true);
            callers.shutdown();
            assertThat(callers.awaitTermination(1, TimeUnit.MINUTES)).isTrue();

            assertThat(round.decision()).as(round.gates().toString()).isEqualTo(RoundResult.Decision.PROMOTED);
            assertThat(round.trigger().source()).isEqualTo("accuracy/accuracy");
            assertThat(round.gates().results()).allMatch(GateResult::passed);
            assertThat(round.gates().of(GateKind.QUALITY)).hasSize(1);
            assertThat(round.gates().of(GateKind.FORGETTING)).hasSize(1);
            int promoted = round.challengerVersion();
            assertThat(f.registry.resolve(LoopFixture.NAME, ContinuousLearning.CHAMPION).orElseThrow().version())
                    .isEqualTo(promoted);
            assertThat(f.registry.resolve(LoopFixture.NAME, ContinuousLearning.CHALLENGER).orElseThrow().version())
                    .isEqualTo(promoted);
            assertThat(following.currentVersion()).isEqualTo(promoted);
            assertThat(failures.get()).isZero();
            assertThat(calls.get()).isGreaterThan(callsAtSwitch);
            // the domain accuracy moved by at least the gate's 0.02
            double before2 = round.metrics().get("heldout").get("champion").get("accuracy");
            double after = round.metrics().get("heldout").get("challenger").get("accuracy");
            assertThat(after).isGreaterThanOrEqualTo(before2 + 0.02);
            // the registered version keeps its round: data, lineage and gate report
            Path folder = f.registry.open(LoopFixture.NAME, promoted);
            assertThat(folder.resolve(ContinuousLearning.ROUND_FILE)).exists();
            assertThat(folder.resolve(ContinuousLearning.DATA_DIR).resolve(ContinuousLearning.TRAIN_FILE)).exists();
            assertThat(f.registry.version(LoopFixture.NAME, promoted).parent()).isEqualTo(f.champion.version());
            assertThat(f.registry.version(LoopFixture.NAME, promoted).modelCard()).contains("Continuous-learning round");
            assertThat(Files.readString(folder.resolve(ContinuousLearning.ROUND_FILE))).contains("\"replay\"");
        }
    }
}
