package dev.keel.djl.internal.bert;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.keel.djl.internal.DjlEngine;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestWeightsRestoreTest {
    @Test
    void restoring_the_best_snapshot_puts_its_values_back_into_the_same_arrays() {
        try (NDManager manager = DjlEngine.newManager(ai.djl.Device.cpu())) {
            NDArray matrix = DjlEngine.ownedFloats(manager, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray vector = DjlEngine.ownedFloats(manager, new float[] {7, 8}, new Shape(2));
            List<NDArray> params = List.of(matrix, vector);
            int arraysBefore = manager.getManagedArrays().size();

            BertClassifierTrainer.restore(params, List.of(new float[] {-1, -2, -3, -4, -5, Float.NaN}, new float[] {0.5f, 9}));

            assertThat(matrix.getShape()).isEqualTo(new Shape(2, 3));
            assertThat(matrix.toFloatArray()).containsExactly(-1, -2, -3, -4, -5, Float.NaN);
            assertThat(vector.toFloatArray()).containsExactly(0.5f, 9);
            assertThat(manager.getManagedArrays()).as("no scratch arrays left behind").hasSize(arraysBefore);
        }
    }
}
