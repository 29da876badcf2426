package dev.keel.monitors.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.keel.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.Test;

class DriftTestsTest {

    @Test
    void ks_statistic_is_the_largest_gap_between_the_distribution_functions_and_matches_commons_math() {
        double[] x = {1, 2, 3, 4};
        double[] y = {3, 4, 5, 6, 7, 8};
        double[] sp = DriftTests.ks(x, y);
        assertThat(sp[0]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(sp[1]).isCloseTo(new KolmogorovSmirnovTest().kolmogorovSmirnovTest(x, y), within(1e-12));
    }

    @Test
    void chi_square_of_a_two_by_two_table_is_the_hand_computed_value_and_matches_commons_math() {
        long[] ref = {30, 10};
        long[] cur = {20, 20};
        double[] sp = DriftTests.chiSquare(ref, cur);
        // expected counts 25/15 on both rows: 1 + 5/3 + 1 + 5/3
        assertThat(sp[0]).isCloseTo(16.0 / 3, within(1e-9));
        assertThat(sp[1]).isCloseTo(new ChiSquareTest().chiSquareTestDataSetsComparison(ref, cur), within(1e-12));
        assertThat(sp[1]).isCloseTo(0.02092, within(1e-4));
    }

    @Test
    void proportion_z_test_squares_to_the_chi_square_of_the_same_table() {
        double[] z = DriftTests.zTest(new long[] {30, 10}, new long[] {20, 20});
        assertThat(z[0]).isCloseTo(0.25 / Math.sqrt(0.625 * 0.375 * (2.0 / 40)), within(1e-9));
        assertThat(z[0] * z[0]).isCloseTo(16.0 / 3, within(1e-9));
        assertThat(z[1]).isCloseTo(DriftTests.chiSquare(new long[] {30, 10}, new long[] {20, 20})[1], within(1e-9));
    }

    @Test
    void psi_of_known_shares_is_the_hand_computed_value() {
        double expected = (0.25 - 0.5) * Math.log(0.25 / 0.5) + (0.75 - 0.5) * Math.log(0.75 / 0.5);
        assertThat(DriftTests.psiOfShares(new double[] {0.5, 0.5}, new double[] {0.25, 0.75}))
                .isCloseTo(expected, within(1e-12)).isCloseTo(0.27465, within(1e-5));
    }

    @Test
    void psi_over_reference_deciles_counts_empty_bins_as_one_in_ten_thousand() {
        double[] ref = new double[100];
        double[] cur = new double[100];
        for (int i = 0; i < 100; i++) {
            ref[i] = i + 1;
            cur[i] = i + 51;
        }
        // deciles of 1..100 cut at 10, 20, ..., 90: the current sample leaves five bins empty, fills four with
        // a tenth each and puts 0.6 above 90
        double expected = 5 * (1e-4 - 0.1) * Math.log(1e-4 / 0.1) + (0.6 - 0.1) * Math.log(0.6 / 0.1);
        assertThat(DriftTests.psi(ref, cur)).isCloseTo(expected, within(1e-9));
        assertThat(DriftTests.psi(ref, ref)).isZero();
    }

    @Test
    void wasserstein_of_a_shift_is_the_shift_and_is_normed_by_the_reference_spread() {
        double[] a = {0, 1, 2, 3};
        double[] b = {2, 3, 4, 5};
        assertThat(DriftTests.wasserstein(a, b)).isCloseTo(2, within(1e-12));
        assertThat(DriftTests.wassersteinNormed(a, b)).isCloseTo(2 / Math.sqrt(1.25), within(1e-12));
    }

    @Test
    void jensen_shannon_distance_of_disjoint_distributions_is_root_ln_two() {
        assertThat(DriftTests.jensenShannon(new long[] {10, 0}, new long[] {0, 10})).isCloseTo(Math.sqrt(Math.log(2)), within(1e-12));
        assertThat(DriftTests.jensenShannon(new long[] {5, 5}, new long[] {50, 50})).isCloseTo(0, within(1e-12));
    }

    @Test
    void the_test_is_chosen_by_type_and_sample_size_as_evidently_does() {
        assertThat(DriftTests.choose(true, 500, 40)).isEqualTo(DriftMethod.KS);
        assertThat(DriftTests.choose(true, 500, 4)).isEqualTo(DriftMethod.CHI_SQUARE);
        assertThat(DriftTests.choose(true, 500, 2)).isEqualTo(DriftMethod.Z_TEST);
        assertThat(DriftTests.choose(false, 1000, 3)).isEqualTo(DriftMethod.CHI_SQUARE);
        assertThat(DriftTests.choose(true, 1001, 40)).isEqualTo(DriftMethod.WASSERSTEIN);
        assertThat(DriftTests.choose(false, 5000, 3)).isEqualTo(DriftMethod.JENSEN_SHANNON);
        assertThat(DriftMethod.KS.defaultThreshold()).isEqualTo(0.05);
        assertThat(DriftMethod.WASSERSTEIN.defaultThreshold()).isEqualTo(0.1);
    }

    @Test
    void a_shifted_normal_sample_drifts_and_a_same_distribution_one_does_not() {
        Random r = new Random(7);
        double[] ref = new double[500];
        double[] same = new double[500];
        double[] shifted = new double[500];
        for (int i = 0; i < 500; i++) {
            ref[i] = r.nextGaussian();
            same[i] = r.nextGaussian();
            shifted[i] = r.nextGaussian() + 0.5;
        }
        FeatureDrift none = DriftTests.numeric("x", ref, same, DriftMethod.AUTO, Double.NaN);
        FeatureDrift some = DriftTests.numeric("x", ref, shifted, DriftMethod.AUTO, Double.NaN);
        assertThat(none.method()).isEqualTo(DriftMethod.KS);
        assertThat(none.drifted()).isFalse();
        assertThat(some.drifted()).isTrue();
        assertThat(some.pValue()).isLessThan(1e-6);
    }

    @Test
    void categorical_features_use_chi_square_for_many_values_and_the_z_test_for_two() {
        List<String> ref = new ArrayList<>(Collections.nCopies(60, "a"));
        ref.addAll(Collections.nCopies(40, "b"));
        List<String> cur = new ArrayList<>(Collections.nCopies(40, "a"));
        cur.addAll(Collections.nCopies(60, "b"));
        FeatureDrift z = DriftTests.categorical("label", ref, cur, DriftMethod.AUTO, Double.NaN);
        assertThat(z.method()).isEqualTo(DriftMethod.Z_TEST);
        assertThat(z.drifted()).isTrue();
        cur.add("c");
        FeatureDrift chi = DriftTests.categorical("label", ref, cur, DriftMethod.AUTO, Double.NaN);
        assertThat(chi.method()).isEqualTo(DriftMethod.CHI_SQUARE);
        assertThat(chi.pValue()).isCloseTo(new ChiSquareTest().chiSquareTestDataSetsComparison(
                new long[] {60, 40, 0}, new long[] {40, 60, 1}), within(1e-12));
    }

    @Test
    void an_empty_side_is_a_clear_error_and_a_distance_needs_numbers() {
        assertThatThrownBy(() -> DriftTests.numeric("len", new double[0], new double[] {1}, DriftMethod.AUTO, Double.NaN))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("len").hasMessageContaining("at least one row");
        assertThatThrownBy(() -> DriftTests.categorical("label", List.of("a"), List.of("b"), DriftMethod.KS, Double.NaN))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("chisquare");
        assertThatThrownBy(() -> DriftMethod.parse("ttest")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("psi");
    }
}
