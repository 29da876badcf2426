package dev.keel.monitors.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streaming drift for monitors: per feature, the first {@code referenceSize} values form the reference
 * (unless one is set explicitly) and a ring of the last {@code currentSize} values is compared with it.
 * Memory is fixed by the two sizes and the number of features. Thread-safe.
 */
public final class DriftWindow {
    private final int referenceSize;
    private final int currentSize;
    private final Map<String, Column> columns = new LinkedHashMap<>();

    public DriftWindow(int referenceSize, int currentSize) {
        if (referenceSize < 2 || currentSize < 2) {
            throw new dev.keel.api.InvalidInputException("drift windows need at least 2 rows; got reference "
                    + referenceSize + " and current " + currentSize);
        }
        this.referenceSize = referenceSize;
        this.currentSize = currentSize;
    }

    public synchronized void add(String feature, double value) {
        if (!Double.isNaN(value)) {
            column(feature, true).add(value, null);
        }
    }

    public synchronized void add(String feature, String category) {
        if (category != null) {
            column(feature, false).add(Double.NaN, category);
        }
    }

    /** Replaces a numeric feature's reference (for example descriptors of a training set). */
    public synchronized void setReference(String feature, double[] values) {
        Column c = column(feature, true);
        c.refNumbers = Arrays.copyOf(values, Math.min(values.length, referenceSize));
        c.refCount = c.refNumbers.length;
        c.frozen = true;
    }

    public synchronized boolean referenceComplete(String feature) {
        Column c = columns.get(feature);
        return c != null && c.frozen;
    }

    /** Rows added since the last call to {@link #report}. */
    public synchronized long pending() {
        return columns.values().stream().mapToLong(c -> c.sinceReport).sum();
    }

    /** Tests every feature with at least {@code minRows} values on both sides. */
    public synchronized DriftReport report(DriftMethod method, double threshold, double driftShare, int minRows) {
        List<FeatureDrift> tests = new ArrayList<>();
        for (Map.Entry<String, Column> e : columns.entrySet()) {
            Column c = e.getValue();
            c.sinceReport = 0;
            if (!c.frozen || c.refCount < minRows || c.curCount < minRows) {
                continue;
            }
            if (c.numeric) {
                tests.add(DriftTests.numeric(e.getKey(), Arrays.copyOf(c.refNumbers, c.refCount), c.currentNumbers(),
                        method, threshold));
            } else {
                DriftMethod m = method == DriftMethod.KS || method == DriftMethod.WASSERSTEIN ? DriftMethod.AUTO : method;
                tests.add(DriftTests.categorical(e.getKey(), c.refLabels.subList(0, c.refCount), c.currentLabels(),
                        m, m == method ? threshold : Double.NaN));
            }
        }
        return new DriftReport(tests, driftShare);
    }

    private Column column(String feature, boolean numeric) {
        Column c = columns.get(feature);
        if (c == null) {
            c = new Column(numeric);
            columns.put(feature, c);
        }
        return c;
    }

    private final class Column {
        final boolean numeric;
        double[] refNumbers;
        final List<String> refLabels;
        int refCount;
        boolean frozen;
        final double[] curNumbers;
        final String[] curLabels;
        int curCount;
        int curNext;
        long sinceReport;

        Column(boolean numeric) {
            this.numeric = numeric;
            this.refNumbers = numeric ? new double[referenceSize] : null;
            this.refLabels = numeric ? null : new ArrayList<>();
            this.curNumbers = numeric ? new double[currentSize] : null;
            this.curLabels = numeric ? null : new String[currentSize];
        }

        void add(double v, String label) {
            sinceReport++;
            if (!frozen) {
                if (numeric) {
                    refNumbers[refCount++] = v;
                } else {
                    refLabels.add(label);
                    refCount++;
                }
                frozen = refCount >= referenceSize;
                return;
            }
            if (numeric) {
                curNumbers[curNext] = v;
            } else {
                curLabels[curNext] = label;
            }
            curNext = (curNext + 1) % currentSize;
            curCount = Math.min(curCount + 1, currentSize);
        }

        double[] currentNumbers() {
            return Arrays.copyOf(curNumbers, curCount);
        }

        List<String> currentLabels() {
            return Arrays.asList(Arrays.copyOf(curLabels, curCount));
        }
    }
}
