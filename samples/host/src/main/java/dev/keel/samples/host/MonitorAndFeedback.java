package dev.keel.samples.host;

import dev.keel.api.infer.ClassificationResult;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.iterate.CaptureFilter;
import dev.keel.api.iterate.ExportSpec;
import dev.keel.api.iterate.TrainingExport;
import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.MonitorHub;
import dev.keel.runtime.KeelRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Stage 3: serves a classifier with every monitor Keel finds (latency, accuracy, drift, bias, user experience,
 * generation quality) and the inference log on, records what users said durably (joined to the call it is
 * about), feeds it to the accuracy monitor, and exports it as training data for the next version.
 */
public final class MonitorAndFeedback {
    /** {@code CLASSIFIER-FOLDER CAPTURE.db FEEDBACK.tsv}. */
    public static void main(String[] args) {
        run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]))
                .forEach(s -> System.out.println(s.monitor() + " " + s.values()));
    }

    public static List<MonitorSnapshot> run(Path classifierFolder, Path captureFile, Path trainingData) {
        try (MonitorHub hub = MonitorHub.withDefaults();
                KeelRuntime keel = KeelRuntime.builder().monitors(hub).capture(captureFile.toString()).build()) {
            try (InferenceSession classifier = keel.open(classifierFolder)) {
                ClassificationResult r = classifier.classify(List.of("the soup was cold"));  // captured, off-thread
                Feedback said = Feedback.label(r.inferenceId(), "negative");  // what the user said, maybe much later
                keel.feedback(said);                      // durable and joined to the call; accuracy over windows
            }
            TrainingExport data = keel.capture().orElseThrow()            // labelled rows keel adapt reads
                    .export(ExportSpec.to(trainingData).filter(CaptureFilter.all()).build());
            System.out.println(data.rows() + " rows, sha-256 " + data.sha256());
            hub.awaitIdle(Duration.ofSeconds(10));  // monitors run off the inference thread: wait before reading
            return hub.snapshots();
        }
    }
}
