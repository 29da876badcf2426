package dev.keel.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.adapt.ClassWeighting;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HeadTrainerTest {

    private static HeadTrainer.Options options(float[] weights, int hidden) {
        return new HeadTrainer.Options(60, 32, 0.05, 0.0, hidden, 0, weights, 7);
    }

    @Test
    void a_linear_head_separates_two_gaussian_clusters() {
        Random r = new Random(1);
        int n = 400;
        float[][] x = new float[n][3];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            x[i][0] = (float) (r.nextGaussian() * 0.5 + (y[i] == 0 ? -2 : 2));
            x[i][1] = (float) r.nextGaussian() * 10 + 100; // a large, useless feature: standardisation copes
            x[i][2] = (float) r.nextGaussian();
        }
        HeadTrainer.Result res = HeadTrainer.train(x, y, 2, null, null, options(ClassWeights.none(2), 0), e -> { });
        assertThat(HeadTrainer.evaluate(res.head(), x, y).accuracy()).isGreaterThan(0.98);
        assertThat(res.head().probabilities(new float[] {-3, 100, 0})[0]).isGreaterThan(0.9);
        assertThat(res.head().parameterCount()).isEqualTo(2 * 3 + 2);
    }

    @Test
    void a_hidden_layer_learns_xor_which_a_linear_head_cannot() {
        float[][] x = new float[400][];
        int[] y = new int[400];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) {
            int a = r.nextInt(2);
            int b = r.nextInt(2);
            x[i] = new float[] {a + (float) r.nextGaussian() * 0.1f, b + (float) r.nextGaussian() * 0.1f};
            y[i] = a ^ b;
        }
        double linear = HeadTrainer.train(x, y, 2, x, y, options(ClassWeights.none(2), 0), e -> { }).dev().accuracy();
        double mlp = HeadTrainer.train(x, y, 2, x, y, options(ClassWeights.none(2), 16), e -> { }).dev().accuracy();
        assertThat(linear).isLessThan(0.8);
        assertThat(mlp).isGreaterThan(0.95);
    }

    @Test
    void balanced_class_weights_change_the_decision_on_an_imbalanced_set() {
        Random r = new Random(5);
        int n = 400;
        float[][] x = new float[n][1];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i < 380 ? 0 : 1; // 95% majority
            x[i][0] = (float) (r.nextGaussian() + (y[i] == 0 ? 0 : 1.5));
        }
        int[] counts = {380, 20};
        // no dev set: keep the last epoch, so the comparison is between two converged fits
        HeadTrainer.Result plain = HeadTrainer.train(x, y, 2, null, null, options(ClassWeights.none(2), 0), e -> { });
        HeadTrainer.Result weighted = HeadTrainer.train(x, y, 2, null, null,
                options(ClassWeights.balanced(counts), 0), e -> { });
        float[] between = {1.5f}; // past the balanced boundary, far short of the prior-weighted one
        assertThat(ClassificationMetrics.argmax(plain.head().probabilities(between))).isZero();
        assertThat(ClassificationMetrics.argmax(weighted.head().probabilities(between))).isOne();
        assertThat(HeadTrainer.evaluate(weighted.head(), x, y).macroF1())
                .isGreaterThan(HeadTrainer.evaluate(plain.head(), x, y).macroF1());
    }

    @Test
    void balanced_weights_follow_the_scikit_learn_rule() {
        float[] w = ClassWeights.balanced(new int[] {90, 10});
        assertThat(w[0]).isCloseTo(100f / (2 * 90), within(1e-6f));
        assertThat(w[1]).isCloseTo(100f / (2 * 10), within(1e-6f));
        assertThat(ClassWeights.of(ClassWeighting.AUTO, new int[] {50, 50})).containsExactly(1f, 1f);
    }

    @Test
    void early_stopping_stops_after_patience_and_remembers_the_best() {
        EarlyStopping s = new EarlyStopping(2, 0.0);
        assertThat(s.update(0.5)).isTrue();
        assertThat(s.update(0.7)).isTrue();
        assertThat(s.update(0.6)).isFalse();
        assertThat(s.shouldStop()).isFalse();
        assertThat(s.update(0.7)).isFalse();
        assertThat(s.shouldStop()).isTrue();
        assertThat(s.best()).isEqualTo(0.7);
        assertThat(s.bestEvaluation()).isEqualTo(2);
    }
}
