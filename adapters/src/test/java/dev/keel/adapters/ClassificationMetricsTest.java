package dev.keel.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

    @Test
    void metrics_match_values_computed_by_hand() {
        // gold:      0    0    0    1    1    2
        // predicted: 0    0    1    1    2    2
        int[] gold = {0, 0, 0, 1, 1, 2};
        double[][] p = {
            {0.9, 0.05, 0.05}, {0.6, 0.3, 0.1}, {0.2, 0.7, 0.1},
            {0.1, 0.8, 0.1}, {0.1, 0.3, 0.6}, {0.05, 0.05, 0.9}};
        ClassificationMetrics m = ClassificationMetrics.of(gold, p);

        assertThat(m.accuracy()).isCloseTo(4.0 / 6, within(1e-12));
        assertThat(m.confusion()).isEqualTo(new int[][] {{2, 1, 0}, {0, 1, 1}, {0, 0, 1}});
        // F1 class 0: tp 2, gold 3, pred 2 -> 4/5; class 1: tp 1, gold 2, pred 2 -> 1/2; class 2: tp 1, gold 1, pred 2 -> 2/3
        assertThat(m.f1()).containsExactly(new double[] {0.8, 0.5, 2.0 / 3}, within(1e-12));
        assertThat(m.macroF1()).isCloseTo((0.8 + 0.5 + 2.0 / 3) / 3, within(1e-12));
        // bins: 0.9 (right), 0.6 (right), 0.7 (wrong), 0.8 (right), 0.6 (wrong), 0.9 (right)
        // bin 6: conf 1.2, correct 1 -> |1 - 1.2| = 0.2; bin 7: |0 - 0.7| = 0.7; bin 8: |1 - 0.8| = 0.2; bin 9: |2 - 1.8| = 0.2
        assertThat(m.expectedCalibrationError()).isCloseTo((0.2 + 0.7 + 0.2 + 0.2) / 6, within(1e-12));
        double loss = -(Math.log(0.9) + Math.log(0.6) + Math.log(0.2) + Math.log(0.8) + Math.log(0.3) + Math.log(0.9)) / 6;
        assertThat(m.loss()).isCloseTo(loss, within(1e-12));
    }

    @Test
    void macro_f1_averages_only_classes_that_occur() {
        int[] gold = {0, 0};
        double[][] p = {{0.9, 0.1, 0.0}, {0.2, 0.8, 0.0}};
        ClassificationMetrics m = ClassificationMetrics.of(gold, p);
        // class 0: tp 1, gold 2, pred 1 -> 2/3; class 1: tp 0, pred 1 -> 0; class 2 never occurs
        assertThat(m.macroF1()).isCloseTo((2.0 / 3 + 0) / 2, within(1e-12));
    }

    @Test
    void a_perfectly_calibrated_confident_classifier_has_zero_calibration_error() {
        ClassificationMetrics m = ClassificationMetrics.of(new int[] {1, 0}, new double[][] {{0, 1}, {1, 0}});
        assertThat(m.accuracy()).isEqualTo(1.0);
        assertThat(m.expectedCalibrationError()).isZero();
    }
}
