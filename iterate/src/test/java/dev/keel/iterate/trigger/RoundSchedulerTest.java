package dev.keel.iterate.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.iterate.IterationLoop;
import dev.keel.api.iterate.RoundResult;
import dev.keel.api.iterate.Trigger;
import dev.keel.api.monitor.Alert;
import dev.keel.api.monitor.Feedback;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RoundSchedulerTest {

    /** A loop whose rounds wait on a latch, so a test can fire while one runs. */
    static final class GatedLoop implements IterationLoop {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);
        final AtomicInteger runs = new AtomicInteger();
        final AtomicInteger plans = new AtomicInteger();
        final List<Trigger> seen = new CopyOnWriteArrayList<>();

        @Override
        public RoundResult run(Trigger trigger) {
            runs.incrementAndGet();
            seen.add(trigger);
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return result(trigger, RoundResult.Decision.REFUSED);
        }

        @Override
        public RoundResult plan(Trigger trigger) {
            plans.incrementAndGet();
            return result(trigger, RoundResult.Decision.DRY_RUN);
        }

        static RoundResult result(Trigger t, RoundResult.Decision d) {
            return new RoundResult("m", t, 1, null, d, null, null, null, null, 0.1);
        }
    }

    private static Alert alert(String monitor, String metric) {
        return new Alert(monitor, metric, 0.5, 0.8, monitor + " " + metric + " crossed", Instant.now());
    }

    @Test
    void a_trigger_that_fires_while_a_round_runs_is_folded_into_it_not_queued() throws Exception {
        GatedLoop loop = new GatedLoop();
        try (RoundScheduler s = RoundScheduler.builder().loop(loop).onAlert("accuracy").onAlert("drift").build()) {
            RoundScheduler.Firing first = s.fire(Trigger.manual("test"));
            assertThat(first.status()).isEqualTo(RoundScheduler.Status.STARTED);
            assertThat(loop.entered.await(10, TimeUnit.SECONDS)).isTrue();
            s.onAlert(alert("accuracy", "accuracy"));
            s.onAlert(alert("drift", "drift_share"));
            RoundScheduler.Firing third = s.fire(Trigger.manual("again"));
            assertThat(third.status()).isEqualTo(RoundScheduler.Status.COALESCED);
            assertThat(third.round()).isSameAs(first.round());
            loop.release.countDown();
            RoundResult r = first.round().get(10, TimeUnit.SECONDS);
            assertThat(r.coalesced()).hasSize(3);
            assertThat(r.coalesced().get(0).kind()).isEqualTo(Trigger.Kind.ALERT);
            assertThat(r.coalesced().get(0).source()).isEqualTo("accuracy/accuracy");
            assertThat(loop.runs.get()).isEqualTo(1);
            assertThat(s.counts()).containsEntry("triggers_coalesced_total", 3.0).containsEntry("rounds_started_total", 1.0);
            // the round is over: the next trigger starts a new one
            RoundScheduler.Firing next = s.fire(Trigger.manual("later"));
            assertThat(next.status()).isEqualTo(RoundScheduler.Status.STARTED);
            assertThat(next.round().get(10, TimeUnit.SECONDS).coalesced()).isEmpty();
            assertThat(s.history()).hasSize(2);
        }
    }

    @Test
    void alerts_fire_only_for_the_named_monitors_or_metrics() throws Exception {
        GatedLoop loop = new GatedLoop();
        loop.release.countDown();
        try (RoundScheduler s = RoundScheduler.builder().loop(loop).onAlert("bias/demographic_parity_ratio").build()) {
            s.onAlert(alert("hub", "monitor_errors_total"));
            s.onAlert(alert("bias", "equalized_odds_difference"));
            assertThat(s.counts()).containsEntry("rounds_started_total", 0.0);
            s.onAlert(alert("bias", "demographic_parity_ratio"));
            assertThat(loop.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(loop.seen.get(0).source()).isEqualTo("bias/demographic_parity_ratio");
        }
    }

    @Test
    void enough_labelled_feedback_starts_a_round_and_the_count_restarts() throws Exception {
        GatedLoop loop = new GatedLoop();
        loop.release.countDown();
        try (RoundScheduler s = RoundScheduler.builder().loop(loop).onFeedbackCount(3).build()) {
            s.feedbackMonitor().onFeedback(Feedback.label("a", "1"));
            s.onFeedback(new Feedback("b", Feedback.Kind.SCORE, null, 4, null)); // a score is not a label
            s.onFeedback(Feedback.thumbsDown("c"));
            assertThat(s.counts()).containsEntry("feedback_since_round", 2.0).containsEntry("rounds_started_total", 0.0);
            s.onFeedback(Feedback.thumbsUp("d"));
            assertThat(loop.entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(loop.seen.get(0).kind()).isEqualTo(Trigger.Kind.FEEDBACK);
            assertThat(loop.seen.get(0).source()).isEqualTo("3");
            assertThat(s.counts().get("feedback_since_round")).isZero();
        }
    }

    @Test
    void dry_run_mode_only_plans_and_an_interval_fires_on_its_own() throws Exception {
        GatedLoop loop = new GatedLoop();
        try (RoundScheduler s = RoundScheduler.builder().loop(loop).dryRun(true).every(Duration.ofMillis(50)).build()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (s.history().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(s.history()).isNotEmpty();
            assertThat(s.history().get(0).decision()).isEqualTo(RoundResult.Decision.DRY_RUN);
            assertThat(s.history().get(0).trigger().kind()).isEqualTo(Trigger.Kind.INTERVAL);
            assertThat(loop.runs.get()).isZero();
        }
    }

    @Test
    void a_failed_round_is_counted_and_the_scheduler_keeps_going() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        IterationLoop flaky = new IterationLoop() {
            @Override
            public RoundResult run(Trigger trigger) {
                if (calls.incrementAndGet() == 1) {
                    throw new InvalidInputException("the new data holds no rows");
                }
                return GatedLoop.result(trigger, RoundResult.Decision.PROMOTED);
            }

            @Override
            public RoundResult plan(Trigger trigger) {
                return GatedLoop.result(trigger, RoundResult.Decision.DRY_RUN);
            }
        };
        try (RoundScheduler s = RoundScheduler.builder().loop(flaky).build()) {
            var first = s.fire(Trigger.manual("t")).round();
            assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(InvalidInputException.class);
            assertThat(s.lastError()).contains("no rows");
            assertThat(s.fire(Trigger.manual("t")).round().get(10, TimeUnit.SECONDS).promoted()).isTrue();
            assertThat(s.counts()).containsEntry("rounds_failed_total", 1.0);
        }
        RoundScheduler closed = RoundScheduler.builder().loop(flaky).build();
        closed.close();
        assertThat(closed.fire(Trigger.manual("late")).status()).isEqualTo(RoundScheduler.Status.IGNORED);
    }

    @Test
    void a_scheduler_without_a_loop_or_with_nonsense_settings_is_refused() {
        assertThatThrownBy(() -> RoundScheduler.builder().build()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("loop(");
        assertThatThrownBy(() -> RoundScheduler.builder().onFeedbackCount(0)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> RoundScheduler.builder().every(Duration.ZERO)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> RoundScheduler.builder().onAlert(" ")).isInstanceOf(InvalidInputException.class);
    }
}
