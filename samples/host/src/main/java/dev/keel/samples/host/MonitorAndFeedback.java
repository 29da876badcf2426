package dev.keel.samples.host;

import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorHub;
import dev.keel.runtime.KeelRuntime;
import dev.keel.runtime.iterate.SqliteFeedbackStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Stage 3: serves a classifier with every monitor Keel finds (latency, accuracy, drift, bias, user experience,
 * generation quality), records what users said durably and feeds it to the accuracy monitor.
 */
public final class MonitorAndFeedback {
    /** {@code CLASSIFIER-FOLDER FEEDBACK.db}. */
    public static void main(String[] args) {
        run(Path.of(args[0]), Path.of(args[1])).forEach(s -> System.out.println(s.monitor() + " " + s.values()));
    }

    public static List<MonitorSnapshot> run(Path classifierFolder, Path feedbackFile) {
        try (MonitorHub hub = MonitorHub.withDefaults();
                SqliteFeedbackStore feedback = SqliteFeedbackStore.open(feedbackFile)) {
            KeelRuntime keel = KeelRuntime.builder().monitors(hub).build();
            try (InferenceSession classifier = keel.open(classifierFolder)) {
                ClassificationResult r = classifier.classify(List.of("the soup was cold"));
                Feedback said = Feedback.label(r.inferenceId(), "negative");  // what the user said, maybe much later
                feedback.record(said);                                        // durable (SQLite, WAL)
                keel.feedback(said);                                          // accuracy over sliding windows
            }
            hub.awaitIdle(Duration.ofSeconds(10));  // monitors run off the inference thread: wait before reading
            return hub.snapshots();
        }
    }
}
