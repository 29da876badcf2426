package dev.keel.registry.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import dev.keel.api.infer.Operation;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CaptureOptions;
import dev.keel.api.iterate.CaptureStats;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.api.iterate.CapturedInput;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.FeedbackStats;
import dev.keel.api.iterate.StoredFeedback;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceListener;
import dev.keel.registry.db.Database;
import dev.keel.spi.data.LabelledFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One behaviour, two stores: every test here runs against SQLite ({@link SqliteCaptureTest}) and a real
 * PostgreSQL server ({@link PostgresCaptureTest}).
 */
abstract class CaptureContract {
    static final Duration FLUSH = Duration.ofSeconds(60);
    static final Instant T0 = Instant.parse("2026-05-01T12:00:00Z");

    @TempDir
    Path work;

    private final List<JdbcCaptureStore> opened = new ArrayList<>();
    private String location;

    /** A location for a new, empty database. */
    abstract String newLocation();

    String location() {
        if (location == null) {
            location = newLocation();
        }
        return location;
    }

    JdbcCaptureStore open(CaptureOptions options) {
        JdbcCaptureStore s = JdbcCaptureStore.builder().location(location()).options(options).build();
        opened.add(s);
        return s;
    }

    JdbcCaptureStore open() {
        return open(CaptureOptions.builder().flushInterval(Duration.ofMillis(20)).build());
    }

    @AfterEach
    void closeStores() {
        opened.forEach(JdbcCaptureStore::close);
    }

    void sql(String statement) throws Exception {
        try (Database db = Database.open(dev.keel.registry.JdbcModelRegistry.databaseLocation(location()));
             var c = db.newConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    // ------------------------------------------------------------------------------------------ capture

    @Test
    void a_captured_call_is_durable_after_flush_with_everything_the_call_saw_and_answered() {
        JdbcCaptureStore log = open();
        log.listener("sentiment", "3").onInference(TestCalls.classify("a1", T0, List.of("the soup was cold", "lovely"),
                List.of("0", "1")));
        assertThat(log.flush(FLUSH)).isTrue();
        log.close();

        CapturedCall c = open().call("a1").orElseThrow();
        assertThat(c.id()).isEqualTo("a1");
        assertThat(c.at()).isEqualTo(T0);
        assertThat(c.model()).isEqualTo("sentiment");
        assertThat(c.version()).isEqualTo("3");
        assertThat(c.backend()).isEqualTo("onnx");
        assertThat(c.device()).isEqualTo("cpu");
        assertThat(c.operation()).isEqualTo("classify");
        assertThat(c.inputs()).containsExactly("the soup was cold", "lovely");
        assertThat(c.outputs()).containsExactly("0", "1");
        assertThat(c.confidences()).containsExactly(0.9, 0.9);
        assertThat(c.latencyNanos()).isEqualTo(3_003_000);
        assertThat(c.inputTokens()).isEqualTo(14);
        assertThat(c.error()).isNull();
    }

    @Test
    void a_call_heard_without_a_model_name_keeps_the_events_own_version_and_failed_calls_keep_their_error() {
        JdbcCaptureStore log = open();
        log.onInference(TestCalls.generate("g1", "Once upon", " a time"));
        log.onInference(TestCalls.failed("f1", "too long"));
        log.onInference(TestCalls.embed("e1", "a fine film"));
        assertThat(log.flush(FLUSH)).isTrue();
        assertThat(log.call("g1").orElseThrow()).satisfies(c -> {
            assertThat(c.model()).isNull();
            assertThat(c.version()).isEqualTo("v-gen");
            assertThat(c.outputs()).containsExactly(" a time");
            assertThat(c.outputTokens()).isEqualTo(12);
        });
        assertThat(log.call("f1").orElseThrow().error()).isEqualTo("InvalidInputException: too long");
        assertThat(log.call("e1").orElseThrow().outputs()).isEmpty();
        assertThat(log.calls(CaptureFilter.all(), 10)).extracting(CapturedCall::id).containsExactly("g1", "f1", "e1");
        assertThat(log.calls(CaptureFilter.all().operation(Operation.CLASSIFY), 10)).extracting(CapturedCall::id)
                .containsExactly("f1");
        assertThat(log.stats().written()).isEqualTo(3);
    }

    @Test
    void sampling_keeps_about_the_configured_share_and_the_same_calls_in_every_process() {
        JdbcCaptureStore a = open(CaptureOptions.builder().sampleRate(0.25).build());
        for (int i = 0; i < 2000; i++) {
            a.onInference(TestCalls.classify("s" + i, "text " + i, "1"));
        }
        assertThat(a.flush(FLUSH)).isTrue();
        CaptureStats stats = a.stats();
        assertThat(stats.accepted() + stats.sampledOut()).isEqualTo(2000);
        assertThat(stats.accepted()).isBetween(400L, 600L);
        List<String> kept = a.calls(CaptureFilter.all(), 2000).stream().map(CapturedCall::id).toList();
        a.close();

        JdbcCaptureStore b = JdbcCaptureStore.builder().location(newLocation())
                .options(CaptureOptions.builder().sampleRate(0.25).build()).build();
        opened.add(b);
        for (int i = 0; i < 2000; i++) {
            b.onInference(TestCalls.classify("s" + i, "text " + i, "1"));
        }
        assertThat(b.flush(FLUSH)).isTrue();
        assertThat(b.calls(CaptureFilter.all(), 2000)).extracting(CapturedCall::id).containsExactlyElementsOf(kept);
    }

    @Test
    void only_the_operations_asked_for_are_captured() {
        JdbcCaptureStore log = open(CaptureOptions.builder().operation(Operation.CLASSIFY).operation(Operation.GENERATE).build());
        log.onInference(TestCalls.classify("c", "x", "1"));
        log.onInference(TestCalls.generate("g", "x", "y"));
        log.onInference(TestCalls.embed("e", "x"));
        assertThat(log.flush(FLUSH)).isTrue();
        assertThat(log.calls(CaptureFilter.all(), 10)).extracting(CapturedCall::id).containsExactly("c", "g");
        assertThat(log.stats().sampledOut()).isEqualTo(1);
    }

    @Test
    void inputs_are_stored_redacted_and_a_redactor_that_throws_loses_the_call_instead_of_storing_it_raw() {
        JdbcCaptureStore log = open(CaptureOptions.builder()
                .redactor(t -> {
                    if (t.contains("boom")) {
                        throw new IllegalStateException("redactor bug");
                    }
                    return t.replaceAll("[\\w.]+@[\\w.]+", "<email>");
                }).build());
        log.onInference(TestCalls.classify("r1", "write to ann@example.com today", "1"));
        log.onInference(TestCalls.classify("r2", "boom ann@example.com", "0"));
        assertThat(log.flush(FLUSH)).isFalse(); // one call could not be stored
        assertThat(log.call("r1").orElseThrow().inputs()).containsExactly("write to <email> today");
        assertThat(log.call("r2")).isEmpty();
        assertThat(log.stats()).satisfies(s -> {
            assertThat(s.redactionFailures()).isEqualTo(1);
            assertThat(s.lost()).isEqualTo(1);
            assertThat(s.written()).isEqualTo(1);
            assertThat(s.lastError()).contains("redactor bug");
        });
    }

    @Test
    void a_taggers_tags_and_the_built_in_slice_values_select_calls() {
        JdbcCaptureStore log = open(CaptureOptions.builder()
                .tagger(e -> Map.of("length", e.inputs().get(0).length() > 10 ? "long" : "short")).build());
        log.listener("m", "1").onInference(TestCalls.classify("short-pos", "good", "1"));
        log.listener("m", "1").onInference(TestCalls.classify("long-neg", "not good at all", "0"));
        log.listener("m", "2").onInference(TestCalls.classify("long-pos", "really very good", "1"));
        assertThat(log.flush(FLUSH)).isTrue();
        assertThat(log.call("long-neg").orElseThrow().tags()).containsEntry("length", "long");
        assertThat(log.calls(CaptureFilter.all().slice("length", "long"), 10)).extracting(CapturedCall::id)
                .containsExactly("long-neg", "long-pos");
        assertThat(log.calls(CaptureFilter.all().slice("length", "long").slice("predicted", "1"), 10))
                .extracting(CapturedCall::id).containsExactly("long-pos");
        assertThat(log.calls(CaptureFilter.all().model("m").version("1"), 10)).extracting(CapturedCall::id)
                .containsExactly("short-pos", "long-neg");
        assertThat(log.calls(CaptureFilter.all(), 2)).extracting(CapturedCall::id).containsExactly("long-neg", "long-pos");
    }

    @Test
    void retention_deletes_old_and_excess_calls_but_spares_those_with_feedback_unless_told_otherwise() {
        Instant old = Instant.now().minus(Duration.ofDays(40));
        JdbcCaptureStore log = open(CaptureOptions.builder().maxAge(Duration.ofDays(30)).maxRows(3).build());
        for (int i = 0; i < 3; i++) {
            log.onInference(TestCalls.classify("old" + i, old, List.of("old " + i), List.of("1")));
        }
        for (int i = 0; i < 5; i++) {
            log.onInference(TestCalls.classify("new" + i, Instant.now(), List.of("new " + i), List.of("1")));
        }
        assertThat(log.flush(FLUSH)).isTrue();
        log.record(Feedback.label("old1", "0"));
        log.record(Feedback.thumbsUp("new0"));
        long deleted = log.applyRetention();
        // old0 and old2 are too old; then 6 are left for 3 places: new1..new3 go, old1 and new0 have feedback
        assertThat(log.calls(CaptureFilter.all(), 100)).extracting(CapturedCall::id)
                .containsExactly("old1", "new0", "new4");
        assertThat(deleted).isEqualTo(5);
        assertThat(log.stats().deletedByRetention()).isEqualTo(5);
        log.close();

        JdbcCaptureStore strict = open(CaptureOptions.builder().maxAge(Duration.ofDays(30)).keepCallsWithFeedback(false)
                .build());
        strict.applyRetention();
        assertThat(strict.call("old1")).isEmpty();
        assertThat(strict.unmatched(CaptureFilter.all())).extracting(f -> f.feedback().inferenceId())
                .containsExactly("old1"); // the feedback is kept, and reported as unmatched
    }

    @Test
    void a_full_queue_drops_calls_and_counts_them_without_slowing_the_caller() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        JdbcCaptureStore log = open(CaptureOptions.builder().queueCapacity(10).flushInterval(Duration.ofMillis(1))
                .redactor(t -> {
                    try {
                        release.await(); // the writer is stuck: the store is as slow as it gets
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return t;
                }).build());
        long worst = 0;
        for (int i = 0; i < 200; i++) {
            long t0 = System.nanoTime();
            log.onInference(TestCalls.classify("q" + i, "t", "1"));
            worst = Math.max(worst, System.nanoTime() - t0);
        }
        CaptureStats stats = log.stats();
        // accepted: the ten the queue holds, plus what the writer drained before its redactor stuck; it drains while
        // the caller keeps offering, so its batch can exceed the capacity by the few calls offered meanwhile (a run
        // on a busy machine accepted 21). What matters: the queue is bounded, and everything else is dropped.
        assertThat(stats.dropped()).as("at most 10 queued and one batch in the stuck writer").isGreaterThanOrEqualTo(170);
        assertThat(stats.accepted() + stats.dropped()).isEqualTo(200);
        // the writer is stuck for good: an offer that waited for it would never return. The bound is loose because
        // a thread on a crowded machine can be descheduled for tens of milliseconds at any point
        assertThat(worst).as("slowest offer, ns").isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(log.monitor().snapshot().values()).containsEntry("capture_dropped_total", (double) stats.dropped());
        release.countDown();
        assertThat(log.flush(FLUSH)).isTrue();
        assertThat(log.calls(CaptureFilter.all(), 500)).hasSize((int) stats.accepted());
    }

    @Test
    void a_store_that_fails_writes_never_fails_a_call_and_the_batch_is_written_once_the_store_is_back() throws Exception {
        JdbcCaptureStore log = open();
        log.onInference(TestCalls.classify("before", "t", "1"));
        assertThat(log.flush(FLUSH)).isTrue();
        sql("ALTER TABLE keel_capture_calls RENAME TO keel_capture_calls_away");
        for (int i = 0; i < 50; i++) {
            log.onInference(TestCalls.classify("during" + i, "t" + i, "1"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (log.stats().writeFailures() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(log.stats().writeFailures()).isPositive();
        assertThat(log.stats().lastError()).isNotNull();
        assertThat(log.flush(Duration.ofMillis(200))).isFalse();
        sql("ALTER TABLE keel_capture_calls_away RENAME TO keel_capture_calls");
        assertThat(log.flush(FLUSH)).isTrue();
        assertThat(log.stats().lost()).isZero();
        assertThat(log.calls(CaptureFilter.all(), 100)).hasSize(51);
    }

    // ------------------------------------------------------------------------------------------ feedback

    @Test
    void feedback_of_every_kind_is_durable_when_record_returns_and_joins_its_call_by_id() {
        JdbcCaptureStore store = open();
        store.onInference(TestCalls.classify("c1", T0, List.of("a", "b", "c"), List.of("1", "0", "1")));
        assertThat(store.flush(FLUSH)).isTrue();
        List<Feedback> all = List.of(Feedback.thumbsUp("c1"), Feedback.thumbsDown("c1#1"), Feedback.label("c1#2", "0"),
                new Feedback("c1", Feedback.Kind.CORRECTION, "1", Double.NaN, T0),
                new Feedback("c1", Feedback.Kind.SCORE, null, 4.5, T0.plusSeconds(1)),
                new Feedback("c1", Feedback.Kind.RETRY, null, Double.NaN, T0.plusSeconds(2)));
        List<StoredFeedback> stored = new ArrayList<>();
        all.forEach(f -> stored.add(store.record(f)));
        assertThat(stored).allSatisfy(s -> assertThat(s.matched()).isTrue());
        assertThat(stored).extracting(StoredFeedback::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(stored.get(1).item()).isEqualTo(1);
        assertThat(stored.get(2).callId()).isEqualTo("c1");
        store.close();

        List<StoredFeedback> back = open().feedback(CaptureFilter.all());
        assertThat(back).extracting(s -> s.feedback().kind()).containsExactlyInAnyOrder(Feedback.Kind.values());
        StoredFeedback score = back.stream().filter(s -> s.feedback().kind() == Feedback.Kind.SCORE).findFirst().orElseThrow();
        assertThat(score.feedback().score()).isEqualTo(4.5);
        assertThat(score.feedback().timestamp()).isEqualTo(T0.plusSeconds(1));
        assertThat(back).allSatisfy(s -> assertThat(s.matched()).isTrue());
    }

    @Test
    void feedback_for_an_unknown_id_is_kept_and_reported_and_joins_once_its_call_is_written() {
        JdbcCaptureStore store = open();
        StoredFeedback unknown = store.record(Feedback.label("nobody", "1"));
        assertThat(unknown.matched()).isFalse();
        assertThat(store.unmatched(CaptureFilter.all())).extracting(f -> f.feedback().inferenceId())
                .containsExactly("nobody");
        assertThat(store.stats(CaptureFilter.all()).unmatched()).isEqualTo(1);

        store.onInference(TestCalls.classify("nobody", "late call", "0")); // the call is written after its feedback
        assertThat(store.flush(FLUSH)).isTrue();
        assertThat(store.unmatched(CaptureFilter.all())).isEmpty();
        assertThat(store.stats(CaptureFilter.all()).matched()).isEqualTo(1);
    }

    @Test
    void record_all_commits_every_item_or_none() {
        JdbcCaptureStore store = open();
        assertThatThrownBy(() -> store.recordAll(List.of(Feedback.thumbsUp("x"),
                new Feedback("y", Feedback.Kind.SCORE, null, Double.NaN, null))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("finite score");
        assertThatThrownBy(() -> store.record(Feedback.label("z", "  "))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("empty value");
        assertThatThrownBy(() -> store.record(Feedback.label("z\0", "1"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NUL");
        assertThat(store.feedback(CaptureFilter.all())).isEmpty();
        assertThat(store.recordAll(List.of(Feedback.thumbsUp("x"), Feedback.thumbsDown("y")))).hasSize(2);
    }

    @Test
    void concurrent_writers_share_commits_and_lose_nothing() throws Exception {
        JdbcCaptureStore store = open();
        JdbcCaptureStore other = open(); // a second handle, as another process sharing the store would have
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                JdbcCaptureStore s = t % 2 == 0 ? store : other;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        s.record(Feedback.thumbsUp("t" + thread + "-" + i));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<StoredFeedback> all = store.feedback(CaptureFilter.all());
        assertThat(all).hasSize(800);
        assertThat(all.stream().map(StoredFeedback::sequence).sorted().toList())
                .isEqualTo(IntStream.rangeClosed(1, 800).mapToObj(Long::valueOf).toList());
    }

    @Test
    void statistics_count_feedback_by_kind_join_state_and_calls_within_the_filter() {
        JdbcCaptureStore store = open();
        store.listener("m", "1").onInference(TestCalls.classify("a", "x", "1"));
        store.listener("m", "2").onInference(TestCalls.classify("b", "y", "0"));
        store.listener("m", "2").onInference(TestCalls.classify("c", "z", "0"));
        assertThat(store.flush(FLUSH)).isTrue();
        store.record(Feedback.thumbsUp("a"));
        store.record(Feedback.thumbsDown("b"));
        store.record(Feedback.label("b", "1"));
        store.record(Feedback.label("ghost", "1"));
        FeedbackStats all = store.stats(CaptureFilter.all());
        assertThat(all.feedback()).isEqualTo(4);
        assertThat(all.byKind()).containsEntry(Feedback.Kind.LABEL, 2L).containsEntry(Feedback.Kind.THUMBS_UP, 1L)
                .containsEntry(Feedback.Kind.SCORE, 0L);
        assertThat(all.matched()).isEqualTo(3);
        assertThat(all.unmatched()).isEqualTo(1);
        assertThat(all.calls()).isEqualTo(3);
        assertThat(all.callsWithFeedback()).isEqualTo(2);
        FeedbackStats v2 = store.stats(CaptureFilter.all().model("m").version("2"));
        assertThat(v2.feedback()).isEqualTo(2);
        assertThat(v2.unmatched()).isZero();
        assertThat(v2.calls()).isEqualTo(2);
        assertThat(v2.callsWithFeedback()).isEqualTo(1);
        assertThat(store.stats(CaptureFilter.all().slice("predicted", "0")).calls()).isEqualTo(2);
        assertThat(all.counts()).containsEntry("thumbs_down", 1L).containsEntry("unmatched", 1L);
    }

    // ------------------------------------------------------------------------------------------ export

    /** A binary sentiment model's calls with every kind of feedback, given at increasing times. */
    private JdbcCaptureStore sentimentWithFeedback() {
        JdbcCaptureStore store = open();
        InferenceListener v1 = store.listener("sentiment", "1");
        InferenceListener v2 = store.listener("sentiment", "2");
        v1.onInference(TestCalls.classify("c1", T0, List.of("great film"), List.of("1")));
        v1.onInference(TestCalls.classify("c2", T0, List.of("dull plot", "fine cast"), List.of("1", "1")));
        v2.onInference(TestCalls.classify("c3", T0.plusSeconds(60), List.of("great film"), List.of("1")));
        v2.onInference(TestCalls.classify("c4", T0.plusSeconds(60), List.of("so-so\tending\nreally"), List.of("0")));
        store.listener("chat", "1").onInference(TestCalls.generate("g1", "Say hi", "Bye"));
        assertThat(store.flush(FLUSH)).isTrue();
        store.recordAll(List.of(
                new Feedback("c1", Feedback.Kind.THUMBS_UP, null, Double.NaN, T0.plusSeconds(1)),      // great film -> 1
                new Feedback("c2", Feedback.Kind.THUMBS_DOWN, null, Double.NaN, T0.plusSeconds(2)),    // dull plot -> 0
                new Feedback("c2#1", Feedback.Kind.LABEL, "1", Double.NaN, T0.plusSeconds(3)),         // fine cast -> 1
                new Feedback("c3", Feedback.Kind.CORRECTION, "0", Double.NaN, T0.plusSeconds(70)),    // great film -> 0, later
                new Feedback("c4", Feedback.Kind.THUMBS_UP, null, Double.NaN, T0.plusSeconds(71)),     // so-so -> 0
                new Feedback("c4", Feedback.Kind.SCORE, null, 2, T0.plusSeconds(72)),
                new Feedback("gone", Feedback.Kind.LABEL, "1", Double.NaN, T0.plusSeconds(73)),
                new Feedback("g1", Feedback.Kind.CORRECTION, "Hi!", Double.NaN, T0.plusSeconds(74))));
        return store;
    }

    @Test
    void an_export_writes_the_labelled_rows_keel_adapt_reads_with_the_latest_feedback_winning() throws Exception {
        JdbcCaptureStore store = sentimentWithFeedback();
        Path out = work.resolve("out/feedback.tsv");
        TrainingExport e = store.export(ExportSpec.to(out).build());

        assertThat(Files.readAllLines(out)).containsExactly("dull plot\t0", "fine cast\t1", "great film\t0",
                "so-so ending really\t0");
        List<LabelledExample> read = LabelledFiles.readLabelled(out);
        assertThat(read).extracting(LabelledExample::label).containsExactly("0", "1", "0", "0");
        assertThat(e.rows()).isEqualTo(4);
        assertThat(e.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(out))));
        assertThat(e.sources()).containsEntry("label", 1L).containsEntry("correction", 1L)
                .containsEntry("thumbs_up", 1L).containsEntry("thumbs_down", 1L);
        assertThat(e.labels()).containsEntry("0", 3L).containsEntry("1", 1L);
        assertThat(e.duplicates()).isEqualTo(1); // great film: thumbs-up on c1, then the correction on c3
        assertThat(e.conflicts()).isEqualTo(1); // ... which disagree
        assertThat(e.skipped()).containsEntry("unmatched", 1L).containsEntry("not_labelling", 1L)
                .containsEntry("other_operation", 1L);
        assertThat(e.manifest()).exists();
        assertThat(Files.readString(e.manifest())).contains("\"sha256\": \"" + e.sha256() + "\"");
        assertThat(store.exports()).singleElement().satisfies(x -> {
            assertThat(x.sha256()).isEqualTo(e.sha256());
            assertThat(x.sources()).isEqualTo(e.sources());
            assertThat(x.sequence()).isEqualTo(1);
        });
        assertThat(store.stats(CaptureFilter.all()).exports()).isEqualTo(1);
    }

    @Test
    void an_export_filters_by_model_version_time_and_slice_and_writes_jsonl_with_where_each_row_came_from()
            throws Exception {
        JdbcCaptureStore store = sentimentWithFeedback();
        TrainingExport v1 = store.export(ExportSpec.to(work.resolve("v1.jsonl"))
                .filter(CaptureFilter.all().model("sentiment").version("1")).build());
        assertThat(LabelledFiles.readLabelled(v1.file())).extracting(LabelledExample::text, LabelledExample::label)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("great film", "1"),
                        org.assertj.core.groups.Tuple.tuple("dull plot", "0"),
                        org.assertj.core.groups.Tuple.tuple("fine cast", "1"));
        assertThat(Files.readAllLines(v1.file()).get(0)).contains("\"feedback\":\"thumbs_up\"", "\"inference_id\":\"c1\"");

        TrainingExport late = store.export(ExportSpec.to(work.resolve("late.tsv"))
                .filter(CaptureFilter.all().since(T0.plusSeconds(60)).until(T0.plusSeconds(71))).build());
        assertThat(Files.readAllLines(late.file())).containsExactly("great film\t0");

        TrainingExport sliced = store.export(ExportSpec.to(work.resolve("sliced.tsv"))
                .filter(CaptureFilter.all().slice("predicted", "0")).build());
        assertThat(Files.readAllLines(sliced.file())).containsExactly("so-so ending really\t0");
        assertThat(store.exports()).hasSize(3);
    }

    @Test
    void a_thumbs_down_needs_exactly_two_labels_known_or_given() throws Exception {
        JdbcCaptureStore store = open();
        store.listener("topics", "1").onInference(TestCalls.classify("t1", "goal!", "sport"));
        store.listener("topics", "1").onInference(TestCalls.classify("t2", "rates up", "finance"));
        store.listener("topics", "1").onInference(TestCalls.classify("t3", "new phone", "tech"));
        assertThat(store.flush(FLUSH)).isTrue();
        store.record(Feedback.thumbsDown("t1"));
        TrainingExport three = store.export(ExportSpec.to(work.resolve("three.tsv")).build());
        assertThat(three.rows()).isZero();
        assertThat(three.skipped()).containsEntry("not_binary", 1L);

        TrainingExport given = store.export(ExportSpec.to(work.resolve("given.tsv")).labels(List.of("sport", "other"))
                .build());
        assertThat(Files.readAllLines(given.file())).containsExactly("goal!\tother");
        TrainingExport noThumbs = store.export(ExportSpec.to(work.resolve("none.tsv")).thumbs(false).build());
        assertThat(noThumbs.skipped()).containsEntry("thumbs_excluded", 1L);
    }

    @Test
    void a_prompt_response_export_pairs_prompts_with_corrected_responses() throws Exception {
        JdbcCaptureStore store = sentimentWithFeedback();
        TrainingExport e = store.export(ExportSpec.to(work.resolve("pr.jsonl")).task("prompt-response").build());
        assertThat(LabelledFiles.readLabelled(e.file())).singleElement()
                .satisfies(x -> assertThat(x.text() + "->" + x.label()).isEqualTo("Say hi->Hi!"));
        assertThat(e.task()).isEqualTo("prompt-response");
    }

    @Test
    void the_shadow_gate_replays_the_newest_classified_inputs_with_their_feedback() {
        JdbcCaptureStore store = sentimentWithFeedback();
        List<CapturedInput> last = store.inputs(CaptureFilter.all().model("sentiment")).last(3);
        assertThat(last).extracting(CapturedInput::id).containsExactly("c2#1", "c3", "c4");
        assertThat(last.get(0)).satisfies(i -> {
            assertThat(i.text()).isEqualTo("fine cast");
            assertThat(i.servedLabel()).isEqualTo("1");
            assertThat(i.feedback()).isEqualTo(Feedback.Kind.LABEL);
            assertThat(i.goldLabel(List.of("0", "1"))).isEqualTo("1");
        });
        assertThat(last.get(1).goldLabel(null)).isEqualTo("0");
        assertThat(last.get(2).feedback()).isEqualTo(Feedback.Kind.THUMBS_UP); // the score after it does not label
        assertThat(store.inputs(CaptureFilter.all()).last(100)).hasSize(5);
        assertThat(store.inputs(CaptureFilter.all().model("nobody")).last(10)).isEmpty();
    }

    @Test
    void a_second_store_on_the_same_database_sees_the_same_calls_and_feedback() {
        JdbcCaptureStore a = open();
        JdbcCaptureStore b = open();
        a.onInference(TestCalls.classify("shared", "x", "1"));
        assertThat(a.flush(FLUSH)).isTrue();
        assertThat(b.record(Feedback.thumbsUp("shared")).matched()).isTrue();
        assertThat(a.feedback(CaptureFilter.all())).hasSize(1);
        assertThat(b.stats(CaptureFilter.all()).callsWithFeedback()).isEqualTo(1);
    }

    @Test
    void an_export_to_a_file_keel_adapt_cannot_read_is_refused_before_anything_is_written() {
        JdbcCaptureStore store = sentimentWithFeedback();
        assertThatThrownBy(() -> store.export(ExportSpec.to(work.resolve("out.txt")).build()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(".tsv");
        assertThatThrownBy(() -> store.export(ExportSpec.to(work).build())).isInstanceOf(InvalidInputException.class);
        assertThat(store.exports()).isEmpty();
        assertThat(work.resolve("out.txt")).doesNotExist();
    }
}
