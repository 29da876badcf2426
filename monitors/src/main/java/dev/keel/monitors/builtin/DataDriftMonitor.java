package dev.keel.monitors.builtin;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.Operation;
import dev.keel.api.monitor.InferenceEvent;
import dev.keel.api.monitor.Monitor;
import dev.keel.api.monitor.MonitorSnapshot;
import dev.keel.monitors.AlertRule;
import dev.keel.monitors.DefaultAlerts;
import dev.keel.monitors.MonitorConfig;
import dev.keel.monitors.drift.DriftMethod;
import dev.keel.monitors.drift.DriftReport;
import dev.keel.monitors.drift.DriftWindow;
import dev.keel.monitors.drift.FeatureDrift;
import dev.keel.monitors.drift.TextDescriptors;
import dev.keel.monitors.drift.TextDrift;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drift of inputs and outputs: the {@link TextDescriptors} of every input text, and for classifiers the
 * predicted class mix and the confidence. The first {@code reference_size} values of each feature are the
 * reference (or {@link #setReference} gives one, e.g. the training set), the last {@code current_size} the
 * current sample; each feature is tested as Evidently chooses, and the dataset drifts when at least
 * {@code drift_share} of the features do (default alert: {@code data_drift/dataset_drift > 0.5}).
 *
 * <p>Settings ({@code keel.monitor.data_drift.*}): {@code reference_size} (500), {@code current_size} (500),
 * {@code min_rows} (50), {@code method} ({@code auto}, or {@code psi}, {@code ks}, ...), {@code threshold}
 * (the method's default), {@code drift_share} (0.5), {@code recompute_seconds} (1).
 */
public final class DataDriftMonitor implements Monitor, DefaultAlerts {
    public static final String NAME = "data_drift";

    private final int referenceSize;
    private final int minRows;
    private final DriftMethod method;
    private final double threshold;
    private final double driftShare;
    private final long recomputeNanos;
    private final DriftWindow window;
    private final List<String> referenceTexts = new ArrayList<>();
    private TextDescriptors descriptors;
    private DriftReport cached;
    private long cachedAt;

    public DataDriftMonitor() {
        this(MonitorConfig.fromSystemProperties());
    }

    public DataDriftMonitor(MonitorConfig config) {
        MonitorConfig c = config.forMonitor(NAME);
        referenceSize = Math.max(2, c.integer("reference_size", 500));
        window = new DriftWindow(referenceSize, Math.max(2, c.integer("current_size", 500)));
        minRows = Math.max(2, c.integer("min_rows", 50));
        method = DriftMethod.parse(c.string("method", "auto"));
        threshold = c.number("threshold", Double.NaN);
        driftShare = c.number("drift_share", TextDrift.DEFAULT_DRIFT_SHARE);
        recomputeNanos = (long) (c.number("recompute_seconds", 1) * 1e9);
        if (!Double.isNaN(threshold) && method == DriftMethod.AUTO) {
            throw new InvalidInputException("keel.monitor.data_drift.threshold needs a method: with 'auto' each feature "
                    + "gets its test's own threshold; set keel.monitor.data_drift.method too");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Uses these texts (a training or validation set) as the input reference instead of the first inputs. */
    public synchronized void setReference(List<String> texts) {
        if (texts.size() < 2) {
            throw new InvalidInputException("a drift reference needs at least 2 texts, got " + texts.size());
        }
        referenceTexts.clear();
        referenceTexts.addAll(texts.subList(0, Math.min(texts.size(), referenceSize)));
        freezeTexts();
    }

    @Override
    public synchronized void onInference(InferenceEvent e) {
        if (e.failed()) {
            return;
        }
        for (String text : e.inputs()) {
            if (descriptors == null) {
                referenceTexts.add(text);
                if (referenceTexts.size() >= referenceSize) {
                    freezeTexts();
                }
            } else {
                double[] row = descriptors.describe(text);
                for (int k = 0; k < row.length; k++) {
                    window.add("input_" + TextDescriptors.NAMES.get(k), row[k]);
                }
            }
        }
        if (e.operation() == Operation.CLASSIFY) {
            for (String label : e.outputs()) {
                window.add("predicted_class", label);
            }
            for (Double conf : e.confidences()) {
                window.add("confidence", conf == null ? Double.NaN : conf);
            }
        }
    }

    private void freezeTexts() {
        descriptors = TextDescriptors.fit(referenceTexts);
        double[][] rows = descriptors.describeReference();
        for (int k = 0; k < TextDescriptors.NAMES.size(); k++) {
            window.setReference("input_" + TextDescriptors.NAMES.get(k), TextDescriptors.column(rows, k));
        }
        referenceTexts.clear();
    }

    /** The current drift report, recomputed at most once per {@code recompute_seconds} while data arrives. */
    public synchronized DriftReport report() {
        long now = System.nanoTime();
        if (cached == null || (window.pending() > 0 && now - cachedAt >= recomputeNanos)) {
            cached = window.report(method, threshold, driftShare, minRows);
            cachedAt = now;
        }
        return cached;
    }

    @Override
    public synchronized MonitorSnapshot snapshot() {
        DriftReport r = report();
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("dataset_drift", r.tests().isEmpty() ? Double.NaN : r.drift() ? 1.0 : 0.0);
        v.put("share_drifted", r.tests().isEmpty() ? Double.NaN : r.shareDrifted());
        v.put("features_tested", (double) r.tests().size());
        for (FeatureDrift t : r.tests()) {
            v.put(t.feature() + "_drift_score", t.score());
            v.put(t.feature() + "_drifted", t.drifted() ? 1.0 : 0.0);
        }
        Map<String, Object> d = new LinkedHashMap<>(r.toMap());
        d.put("reference_collected", descriptors != null);
        return new MonitorSnapshot(NAME, Instant.now(), v, d);
    }

    @Override
    public List<AlertRule> defaultAlerts() {
        return List.of(AlertRule.above(NAME, "dataset_drift", 0.5));
    }
}
