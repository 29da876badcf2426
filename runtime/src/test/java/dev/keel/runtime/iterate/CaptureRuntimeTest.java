package dev.keel.runtime.iterate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.CaptureStore;
import dev.keel.api.iterate.CapturedCall;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.Registration;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorHub;
import dev.keel.registry.JdbcModelRegistry;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code KeelRuntime.builder().capture(...)} on a real engine (the builtin MiniLM on ONNX Runtime under two head
 * versions that answer "neg" and "pos"): calls are logged as served by registry name and version, also across
 * an alias move, feedback through the runtime is durable and joined, and the log reports to the monitor hub.
 */
class CaptureRuntimeTest {
    private static final Duration FLUSH = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void calls_on_a_followed_alias_are_logged_by_version_and_feedback_through_the_runtime_joins_them() throws Exception {
        Path store = dir.resolve("capture.db");
        try (JdbcModelRegistry registry = JdbcModelRegistry.builder().location(dir.resolve("registry").toString())
                .pollInterval(Duration.ofMillis(50)).build();
             MonitorHub hub = MonitorHub.builder().alertInterval(Duration.ZERO).build();
             KeelRuntime keel = KeelRuntime.builder().backend("onnx").registry(registry).monitors(hub)
                     .capture(store.toString()).build()) {
            registry.register(Registration.of("sentiment", AliasFollowingSessionTest.head(dir.resolve("v1"), 0))
                    .alias("champion").build());
            registry.register("sentiment", AliasFollowingSessionTest.head(dir.resolve("v2"), 1));
            CaptureStore capture = keel.capture().orElseThrow();
            String first;
            String second;
            try (InferenceSession s = keel.open(ModelRef.parse("registry:sentiment@champion"))) {
                first = s.classify(List.of("a fine, moving film")).inferenceId();
                registry.setAlias("sentiment", "champion", 2, "test", "test");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                ClassificationResult r;
                do {
                    r = s.classify(List.of("dull and far too long", "a fine, moving film"));
                    assertThat(System.nanoTime()).as("switch within 30 s").isLessThan(deadline);
                } while (!r.predictions().get(0).label().equals("pos"));
                second = r.inferenceId();
            }
            assertThat(keel.feedback(Feedback.thumbsDown(first))).isTrue();
            assertThat(keel.feedback(Feedback.label(second + "#1", "pos"))).isTrue();
            assertThat(capture.flush(FLUSH)).isTrue();

            CapturedCall v1 = capture.call(first).orElseThrow();
            assertThat(v1.model()).isEqualTo("sentiment");
            assertThat(v1.version()).isEqualTo("1");
            assertThat(v1.backend()).isEqualTo("onnx");
            assertThat(v1.outputs()).containsExactly("neg");
            CapturedCall v2 = capture.call(second).orElseThrow();
            assertThat(v2.version()).isEqualTo("2");
            assertThat(v2.inputs()).containsExactly("dull and far too long", "a fine, moving film");
            assertThat(capture.stats(CaptureFilter.all()).matched()).isEqualTo(2);

            TrainingExport e = capture.export(ExportSpec.to(dir.resolve("feedback.tsv"))
                    .filter(CaptureFilter.all().model("sentiment")).build());
            // a thumbs-down on "neg" gives the other label, and the label on item 1 of the batch names its text
            assertThat(Files.readAllLines(e.file())).containsExactly("a fine, moving film\tpos");
            assertThat(e.duplicates()).isEqualTo(1);
            assertThat(e.conflicts()).isZero();

            MonitorSnapshot reported = hub.snapshots().stream().filter(x -> x.monitor().equals("capture"))
                    .findFirst().orElseThrow();
            assertThat(reported.values().get("capture_written_total")).isGreaterThanOrEqualTo(2.0);
            assertThat(reported.values()).containsEntry("capture_dropped_total", 0.0);
        }
        // the runtime opened the store from its location, so closing the runtime closed it: the file is complete
        try (CaptureStore reopened = dev.keel.registry.capture.JdbcCaptureStore.open(store.toString())) {
            assertThat(reopened.calls(CaptureFilter.all().model("sentiment"), 100)).hasSizeGreaterThanOrEqualTo(2);
            assertThat(reopened.feedback(CaptureFilter.all())).hasSize(2);
        }
    }

    @Test
    void a_builtin_model_is_logged_under_its_name_and_a_store_the_host_passes_stays_open() {
        try (CaptureStore capture = dev.keel.registry.capture.JdbcCaptureStore.open(dir.resolve("c.db").toString())) {
            try (KeelRuntime keel = KeelRuntime.builder().backend("onnx").capture(capture).build();
                 InferenceSession s = keel.open(ModelRef.parse("builtin:all-minilm-l6-v2"))) {
                String id = s.embed(List.of("a fine film")).inferenceId();
                assertThat(capture.flush(FLUSH)).isTrue();
                CapturedCall c = capture.call(id).orElseThrow();
                assertThat(c.model()).isEqualTo("all-minilm-l6-v2");
                assertThat(c.operation()).isEqualTo("embed");
                assertThat(c.version()).isNotBlank();
                assertThat(c.inputs()).containsExactly("a fine film");
            }
            assertThat(capture.record(Feedback.thumbsUp("x")).matched()).isFalse(); // still open
        }
    }

    @Test
    void feedback_needs_a_hub_or_a_capture_store_and_capture_is_given_once() {
        KeelRuntime bare = KeelRuntime.builder().backends(dev.keel.spi.Backends.of(List.of())).build();
        assertThatThrownBy(() -> bare.feedback(Feedback.thumbsUp("abc"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(".capture(DB)");
        assertThatThrownBy(() -> KeelRuntime.builder().capture("a.db").capture("b.db"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("already on");
        assertThatThrownBy(() -> KeelRuntime.builder().capture(" ")).isInstanceOf(InvalidInputException.class);
    }
}
