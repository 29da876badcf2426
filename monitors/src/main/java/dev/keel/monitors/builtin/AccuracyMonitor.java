package dev.keel.monitors.builtin;

import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.AlertRule;
import dev.keel.monitors.DefaultAlerts;
import dev.keel.monitors.FeedbackJoin;
import dev.keel.monitors.MonitorConfig;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classifier accuracy from feedback over a sliding window, and a label-free estimate for when labels are
 * late: NannyML's confidence-based performance estimation (CBPE) — the expected accuracy is the mean
 * calibrated confidence of recent predictions. Calibration maps a raw confidence to the accuracy observed
 * at that confidence in labelled feedback (ten reliability bins, shrunk towards the raw confidence while a
 * bin has few labels), so an over-confident model does not report its optimism as accuracy.
 *
 * <p>A {@code LABEL} feedback is compared with the predicted label; thumbs up and down count as correct
 * and wrong unless {@code keel.monitor.accuracy.thumbs_as_labels=false}. Settings: {@code window} (labelled
 * outcomes in the sliding accuracy, default 500), {@code bucket} (outcomes per point of the accuracy-over-
 * time series, default 100), {@code estimate_window} (predictions in the estimate, default 500),
 * {@code alert_below} (an accuracy floor; no alert unless set).
 */
public final class AccuracyMonitor implements Monitor, FeedbackJoin, DefaultAlerts {
    public static final String NAME = "accuracy";
    private static final int BINS = 10;
    private static final double PRIOR = 10;
    private static final int SERIES_POINTS = 200;

    private final int window;
    private final int bucket;
    private final boolean thumbsAsLabels;
    private final double alertBelow;
    private final boolean[] outcomes;
    private int outcomeCount;
    private int outcomeNext;
    private int windowCorrect;
    private long labelled;
    private long correct;
    private long unmatched;
    private final long[] binTotal = new long[BINS];
    private final long[] binCorrect = new long[BINS];
    private final double[] binConfidence = new double[BINS];
    private final double[] recentConfidences;
    private int confCount;
    private int confNext;
    private int bucketN;
    private int bucketCorrect;
    private final Deque<Map<String, Object>> series = new ArrayDeque<>();

    public AccuracyMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    public AccuracyMonitor(MonitorConfig config) {
        MonitorConfig c = config.forMonitor(NAME);
        window = Math.max(1, c.integer("window", 500));
        bucket = Math.max(1, c.integer("bucket", 100));
        thumbsAsLabels = c.flag("thumbs_as_labels", true);
        alertBelow = c.number("alert_below", Double.NaN);
        outcomes = new boolean[window];
        recentConfidences = new double[Math.max(1, c.integer("estimate_window", 500))];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized void onInference(InferenceEvent e) {
        if (e.failed()) {
            return;
        }
        for (Double conf : e.confidences()) {
            if (conf != null && !conf.isNaN()) {
                recentConfidences[confNext] = conf;
                confNext = (confNext + 1) % recentConfidences.length;
                confCount = Math.min(confCount + 1, recentConfidences.length);
            }
        }
    }

    @Override
    public void onFeedback(Feedback feedback) {
        onFeedback(feedback, null, 0);
    }

    @Override
    public synchronized void onFeedback(Feedback f, InferenceEvent inference, int item) {
        Boolean right = switch (f.kind()) {
            case LABEL -> inference == null || item >= inference.outputs().size() ? null
                    : inference.outputs().get(item).equals(f.value());
            case THUMBS_UP -> thumbsAsLabels ? Boolean.TRUE : null;
            case THUMBS_DOWN -> thumbsAsLabels ? Boolean.FALSE : null;
            default -> null;
        };
        if (right == null) {
            if (f.kind() == Feedback.Kind.LABEL) {
                unmatched++;
            }
            return;
        }
        double confidence = inference != null && item < inference.confidences().size()
                ? inference.confidences().get(item) : Double.NaN;
        record(right, confidence);
    }

    private void record(boolean right, double confidence) {
        labelled++;
        if (right) {
            correct++;
        }
        if (outcomeCount == window && outcomes[outcomeNext]) {
            windowCorrect--;
        }
        outcomes[outcomeNext] = right;
        if (right) {
            windowCorrect++;
        }
        outcomeNext = (outcomeNext + 1) % window;
        outcomeCount = Math.min(outcomeCount + 1, window);
        if (!Double.isNaN(confidence)) {
            int b = bin(confidence);
            binTotal[b]++;
            binConfidence[b] += confidence;
            if (right) {
                binCorrect[b]++;
            }
        }
        bucketN++;
        bucketCorrect += right ? 1 : 0;
        if (bucketN == bucket) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("time", Instant.now().toString());
            point.put("labelled_total", labelled);
            point.put("accuracy", (double) bucketCorrect / bucketN);
            point.put("estimated_accuracy", estimate());
            series.addLast(point);
            while (series.size() > SERIES_POINTS) {
                series.removeFirst();
            }
            bucketN = 0;
            bucketCorrect = 0;
        }
    }

    private static int bin(double confidence) {
        return Math.max(0, Math.min(BINS - 1, (int) (confidence * BINS)));
    }

    /** A raw confidence mapped to the accuracy seen at that confidence, shrunk to it while labels are few. */
    double calibrated(double confidence) {
        int b = bin(confidence);
        return (binCorrect[b] + PRIOR * confidence) / (binTotal[b] + PRIOR);
    }

    private double estimate() {
        if (confCount == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < confCount; i++) {
            sum += calibrated(recentConfidences[i]);
        }
        return sum / confCount;
    }

    /** Expected calibration error of the raw confidences over all labelled feedback. */
    private double calibrationError() {
        long n = 0;
        double ece = 0;
        for (int b = 0; b < BINS; b++) {
            if (binTotal[b] > 0) {
                ece += Math.abs(binCorrect[b] - binConfidence[b]);
                n += binTotal[b];
            }
        }
        return n == 0 ? Double.NaN : ece / n;
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("accuracy", outcomeCount == 0 ? Double.NaN : (double) windowCorrect / outcomeCount);
        v.put("accuracy_all", labelled == 0 ? Double.NaN : (double) correct / labelled);
        v.put("labelled_total", (double) labelled);
        v.put("labels_unmatched_total", (double) unmatched);
        v.put("estimated_accuracy", estimate());
        v.put("expected_calibration_error", calibrationError());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("series", new ArrayList<>(series));
        d.put("window", window);
        return new MonitorSnapshot(NAME, Instant.now(), v, d);
    }

    @Override
    public List<AlertRule> defaultAlerts() {
        return Double.isNaN(alertBelow) ? List.of()
                : List.of(AlertRule.below(NAME, "accuracy", alertBelow), AlertRule.below(NAME, "estimated_accuracy", alertBelow));
    }
}
