package dev.keel.monitors.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingDriftTest {

    private static float[][] gaussian(Random r, int n, int d, double shift) {
        float[][] out = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                out[i][j] = (float) (r.nextGaussian() + (j < 4 ? shift : 0));
            }
        }
        return out;
    }

    @Test
    void auc_of_perfectly_separated_scores_is_one_and_of_ties_is_a_half() {
        assertThat(EmbeddingDrift.auc(new double[] {3, 4}, new double[] {1, 2})).isEqualTo(1.0);
        assertThat(EmbeddingDrift.auc(new double[] {1, 1}, new double[] {1, 1})).isEqualTo(0.5);
        assertThat(EmbeddingDrift.auc(new double[] {1, 3}, new double[] {2, 4})).isCloseTo(0.25, within(1e-12));
    }

    @Test
    void the_domain_classifier_separates_shifted_vectors_but_not_same_distribution_ones() {
        Random r = new Random(11);
        float[][] ref = gaussian(r, 300, 32, 0);
        EmbeddingDrift.DomainClassifierResult same = EmbeddingDrift.domainClassifier(ref, gaussian(r, 300, 32, 0), 1);
        EmbeddingDrift.DomainClassifierResult shifted = EmbeddingDrift.domainClassifier(ref, gaussian(r, 300, 32, 0.8), 1);
        assertThat(same.drifted()).isFalse();
        assertThat(same.auc()).isBetween(0.35, 0.65);
        assertThat(shifted.drifted()).isTrue();
        assertThat(shifted.auc()).isGreaterThan(0.8);
        assertThat(same.threshold()).isGreaterThanOrEqualTo(EmbeddingDrift.AUC_THRESHOLD);
    }

    @Test
    void mmd_permutation_test_flags_a_shift_only() {
        Random r = new Random(5);
        float[][] ref = gaussian(r, 120, 16, 0);
        EmbeddingDrift.MmdResult same = EmbeddingDrift.mmd(ref, gaussian(r, 120, 16, 0), 100, 500, 1);
        EmbeddingDrift.MmdResult shifted = EmbeddingDrift.mmd(ref, gaussian(r, 120, 16, 0.7), 100, 500, 1);
        assertThat(same.drifted()).isFalse();
        assertThat(shifted.drifted()).isTrue();
        assertThat(shifted.pValue()).isCloseTo(1 / 101.0, within(1e-12));
        assertThat(shifted.mmd2()).isGreaterThan(same.mmd2());
    }
}
