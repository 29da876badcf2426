package dev.keel.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.djl.internal.DjlBackendProvider;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.MonitorHub;
import dev.keel.monitors.builtin.AccuracyMonitor;
import dev.keel.onnx.internal.OnnxBackendProvider;
import dev.keel.spi.BackendProvider;
import dev.keel.spi.Backends;
import dev.keel.spi.tck.AdaptedFolders;
import dev.keel.spi.tck.KitAdaptedFolders;
import dev.keel.spi.tck.KitModels;
import dev.keel.tf.internal.TfBackendProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16's first defect, end to end as a host meets it: classify with an adapted folder (a head over bert or
 * gpt2, a LoRA classifier, a fully fine-tuned classifier) through {@link KeelRuntime} with a monitor hub, give
 * feedback labels on the id the call returned, and the accuracy monitor counts them. Before the fix, a head's
 * classify reported only its base's embed event (no labels), so every label went unmatched and accuracy stayed
 * NaN; on djl a LoRA classifier's open-time probe reported a second classify event.
 */
class ClassificationFeedbackTest {
    private static final AdaptedFolders FOLDERS = new KitAdaptedFolders();
    private static final List<String> TEXTS = List.of("abc", "jihg", "hijhij", "aaabbb");

    static Stream<Arguments> classifiers() {
        Map<String, Supplier<BackendProvider>> backends = Map.of("onnx", OnnxBackendProvider::new,
                "djl", DjlBackendProvider::new, "tf", TfBackendProvider::new);
        List<Arguments> out = new ArrayList<>();
        for (String backend : List.of("onnx", "djl")) {
            for (String kind : List.of("head over bert", "lora over bert", "full over bert", "head over gpt2")) {
                out.add(Arguments.of(backend, kind, backends.get(backend)));
            }
        }
        out.add(Arguments.of("tf", "head over gpt2", backends.get("tf"))); // tf serves gpt2 only
        return out.stream();
    }

    private static Path write(String kind, Path dir) {
        KitModels.tokenCacheIn(dir);
        Path bert = KitModels.writeBert(dir.resolve("bert"), KitModels.randomBert(KitModels.BERT, 1));
        Path gpt2 = KitModels.writeGpt2(dir.resolve("gpt2"), KitModels.randomGpt2(KitModels.GPT2, 2));
        return switch (kind) {
            case "head over bert" -> FOLDERS.writeHead(bert, KitModels.LABELS, 3, dir.resolve("head"));
            case "lora over bert" -> FOLDERS.writeBertLora(bert, KitModels.LABELS, 4, dir.resolve("lora"));
            case "full over bert" -> FOLDERS.writeBertFull(bert, KitModels.LABELS, 5, dir.resolve("full"));
            case "head over gpt2" -> FOLDERS.writeHead(gpt2, KitModels.LABELS, 6, dir.resolve("gpt2-head"));
            default -> throw new AssertionError(kind);
        };
    }

    @ParameterizedTest(name = "a {1} folder on {0}")
    @MethodSource("classifiers")
    void feedback_labels_on_a_classify_call_reach_the_accuracy_monitor(String backend, String kind,
            Supplier<BackendProvider> provider, @TempDir Path dir) {
        Path folder = write(kind, dir);
        List<InferenceEvent> events = Collections.synchronizedList(new ArrayList<>());
        try (MonitorHub hub = MonitorHub.builder().monitor(new AccuracyMonitor(MonitorConfig.empty()))
                .alertInterval(Duration.ZERO).build()) {
            KeelRuntime keel = KeelRuntime.builder().backends(Backends.of(List.of(provider.get()), k -> null, k -> null))
                    .backend(backend).monitors(hub).listener(events::add).build();
            ClassificationResult r;
            try (InferenceSession session = keel.open(ModelRef.of(folder))) {
                r = session.classify(TEXTS);
            }
            // the user agrees with every prediction but the first
            for (int k = 0; k < TEXTS.size(); k++) {
                String predicted = r.predictions().get(k).label();
                String said = k == 0 ? KitModels.LABELS.get(1 - KitModels.LABELS.indexOf(predicted)) : predicted;
                assertThat(keel.feedback(Feedback.label(r.inferenceId() + "#" + k, said))).isTrue();
            }
            assertThat(hub.awaitIdle(Duration.ofSeconds(20))).isTrue();

            assertThat(events).as("events of one classify call").singleElement().satisfies(e -> {
                assertThat(e.operation()).isEqualTo(Operation.CLASSIFY);
                assertThat(e.id()).isEqualTo(r.inferenceId());
                assertThat(e.outputs()).hasSize(TEXTS.size());
            });
            MonitorSnapshot accuracy = hub.monitor(AccuracyMonitor.class).orElseThrow().snapshot();
            assertThat(accuracy.values().get("labelled_total")).isEqualTo(TEXTS.size());
            assertThat(accuracy.values().get("labels_unmatched_total")).isZero();
            assertThat(accuracy.values().get("accuracy")).isEqualTo((TEXTS.size() - 1.0) / TEXTS.size());
        }
    }
}
