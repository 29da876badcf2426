package dev.keel.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {
    @Test
    void the_sum_is_the_correctly_rounded_exact_total_whatever_the_order_and_grouping() {
        Random r = new Random(5);
        List<Double> terms = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            terms.add(r.nextDouble() * Math.pow(10, r.nextInt(12) - 6) * (r.nextBoolean() ? 1 : -1));
        }
        BigDecimal exact = BigDecimal.ZERO;
        for (double t : terms) {
            exact = exact.add(new BigDecimal(t));
        }
        double expected = exact.round(MathContext.DECIMAL128).doubleValue();
        for (int trial = 0; trial < 5; trial++) {
            Collections.shuffle(terms, r);
            ExactSum whole = new ExactSum();
            List<ExactSum> parts = new ArrayList<>();
            for (int i = 0; i < terms.size(); i++) {
                whole.add(terms.get(i));
                if (i % 700 == 0) {
                    parts.add(new ExactSum());
                }
                parts.get(parts.size() - 1).add(terms.get(i));
            }
            ExactSum merged = new ExactSum();
            Collections.shuffle(parts, r);
            parts.forEach(merged::add);
            assertThat(whole.value()).isEqualTo(expected);
            assertThat(merged.value()).isEqualTo(expected);
        }
    }

    @Test
    void sums_that_naive_addition_gets_wrong_come_out_exact() {
        ExactSum s = new ExactSum();
        for (double t : new double[] {1e16, 1.0, -1e16, 0.1, 0.2}) {
            s.add(t);
        }
        assertThat(1e16 + 1.0 - 1e16 + 0.1 + 0.2).isNotEqualTo(1.3); // what the naive loop gives
        assertThat(s.value()).isEqualTo(1.3000000000000000444);
        assertThat(new ExactSum().value()).isZero();
    }
}
