package dev.keel.monitors.drift;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every feature's test and the dataset verdict: drift when at least {@code driftShare} of the features
 * drifted (Evidently's dataset drift rule, default one half), so one feature's false alarm at p < 0.05 does
 * not flag the whole sample.
 */
public record DriftReport(List<FeatureDrift> tests, double driftShare) {
    public DriftReport {
        tests = List.copyOf(tests);
    }

    public long driftedCount() {
        return tests.stream().filter(FeatureDrift::drifted).count();
    }

    public double shareDrifted() {
        return tests.isEmpty() ? 0 : (double) driftedCount() / tests.size();
    }

    public boolean drift() {
        return !tests.isEmpty() && shareDrifted() >= driftShare;
    }

    public FeatureDrift test(String feature) {
        return tests.stream().filter(t -> t.feature().equals(feature)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no feature '" + feature + "' in " + tests));
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("drift", drift());
        m.put("share_drifted", shareDrifted());
        m.put("drift_share", driftShare);
        m.put("tests", tests.stream().map(FeatureDrift::toMap).toList());
        return m;
    }
}
