package dev.keel.monitors.drift;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.LabelledExample;
import java.util.ArrayList;
import java.util.List;

/**
 * Drift between two samples of text: the {@link TextDescriptors} of each text, and the label mix when both
 * samples are labelled. What {@code keel drift} runs without a model.
 */
public final class TextDrift {
    /** Evidently's default: the dataset drifts when half of its features do. */
    public static final double DEFAULT_DRIFT_SHARE = 0.5;

    private TextDrift() { }

    public static DriftReport compare(List<String> reference, List<String> current) {
        return compareExamples(plain(reference), plain(current), DriftMethod.AUTO, Double.NaN, DEFAULT_DRIFT_SHARE);
    }

    public static DriftReport compareExamples(List<LabelledExample> reference, List<LabelledExample> current,
            DriftMethod method, double threshold, double driftShare) {
        if (reference.isEmpty() || current.isEmpty()) {
            throw new InvalidInputException("drift needs texts on both sides; got " + reference.size()
                    + " reference and " + current.size() + " current texts");
        }
        checkDriftShare(driftShare);
        TextDescriptors descriptors = TextDescriptors.fit(reference.stream().map(LabelledExample::text).toList());
        double[][] ref = descriptors.describeReference();
        double[][] cur = current.stream().map(e -> descriptors.describe(e.text())).toArray(double[][]::new);
        List<FeatureDrift> tests = new ArrayList<>();
        for (int k = 0; k < TextDescriptors.NAMES.size(); k++) {
            tests.add(DriftTests.numeric(TextDescriptors.NAMES.get(k), TextDescriptors.column(ref, k),
                    TextDescriptors.column(cur, k), method, threshold));
        }
        if (reference.stream().allMatch(LabelledExample::hasLabel) && current.stream().allMatch(LabelledExample::hasLabel)) {
            tests.add(DriftTests.categorical(LABEL, reference.stream().map(LabelledExample::label).toList(),
                    current.stream().map(LabelledExample::label).toList(), labelMethod(method), threshold));
        }
        return new DriftReport(tests, driftShare);
    }

    /** The feature name of the label mix. */
    public static final String LABEL = "label";

    /** Labels are categories: a numbers-only method asked for the descriptors falls back to auto for them. */
    public static DriftMethod labelMethod(DriftMethod method) {
        return method == DriftMethod.KS || method == DriftMethod.WASSERSTEIN ? DriftMethod.AUTO : method;
    }

    public static void checkDriftShare(double driftShare) {
        if (!(driftShare > 0 && driftShare <= 1)) {
            throw new InvalidInputException("drift share must be in (0, 1], got " + driftShare);
        }
    }

    private static List<LabelledExample> plain(List<String> texts) {
        return texts.stream().map(t -> new LabelledExample(t, null)).toList();
    }
}
