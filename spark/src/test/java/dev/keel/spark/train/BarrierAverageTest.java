package dev.keel.spark.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keel.spark.KeelSpark;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Averages through allGather in rounds: arrays whose sizes do not divide the round size (as a full fine-tune's
 * weights, which travel in many rounds) come back as the exact mean on every task.
 */
class BarrierAverageTest {
    @Test
    void arrays_averaged_in_many_rounds_come_back_equal_on_every_task() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(
                KeelSpark.local("local[2]", "keel-spark-tests").sparkContext());
        List<float[][]> results = jsc.parallelize(List.of(0, 1), 2).rdd().barrier()
                .mapPartitions(new Averaging(), false, ClassTag$.MODULE$.apply(float[][].class)).toJavaRDD().collect();
        assertThat(results).hasSize(2);
        float[][] expected = {values(0, 1500, 1.5f), values(1, 7, 1.5f), values(2, 3000, 1.5f)};
        for (float[][] r : results) {
            assertThat(r).isDeepEqualTo(expected);
        }
    }

    /** Task k holds {@code seed * 1000 + index + k * 3}, so the mean of two tasks is {@code ... + 1.5}. */
    static float[] values(int seed, int n, float shift) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = seed * 1000 + i + shift;
        }
        return v;
    }

    static final class Averaging extends AbstractFunction1<scala.collection.Iterator<Integer>,
            scala.collection.Iterator<float[][]>> implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public scala.collection.Iterator<float[][]> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            float k = 3 * ctx.partitionId();
            List<float[]> mine = new ArrayList<>(List.of(values(0, 1500, k), values(1, 7, k), values(2, 3000, k)));
            int rounds = BarrierAverage.average(ctx, mine, 1024);
            if (rounds != 5) { // 4,507 floats in rounds of 1,024
                throw new IllegalStateException("expected 5 rounds, took " + rounds);
            }
            return scala.jdk.javaapi.CollectionConverters.asScala(List.<float[][]>of(mine.toArray(float[][]::new))
                    .iterator());
        }
    }
}
