package dev.keel.spark;

import dev.keel.api.InvalidInputException;
import dev.keel.monitors.builtin.PerplexityScorer;
import dev.keel.spi.data.TokenArray;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code keel evaluate} as a Spark job: the split is cut into the same non-overlapping blocks of
 * {@code context + 1} tokens as a local evaluation, chunks of blocks are scored on the executors through
 * {@link dev.keel.api.infer.InferenceSession#logits}, and the driver adds the per-chunk sums in chunk order.
 * The token ids travel from the driver in the tasks (4 bytes a token), which suits a validation split; to
 * score a corpus too large for that, put its documents in a Dataset and use {@link TextScorer}.
 */
public final class SparkEvaluation {
    /** Blocks a task scores: enough work per task to hide scheduling, small enough to balance. */
    static final int BLOCKS_PER_CHUNK = 16;

    private SparkEvaluation() { }

    private record Chunk(int index, int[] tokens) implements Serializable { }

    /** The summed next-token loss (nats) and the number of tokens scored. */
    public static double[] blockLoss(SparkSession spark, ModelSpec model, TokenArray tokens, int context) {
        int n = tokens.size();
        if (n < 2) {
            throw new InvalidInputException("the split holds " + n + " tokens; evaluation needs at least 2");
        }
        model.checkOnDriver();
        List<Chunk> chunks = new ArrayList<>();
        int span = BLOCKS_PER_CHUNK * context;
        for (int start = 0; start < n - 1; start += span) {
            int end = Math.min(n, start + span + 1);
            int[] window = new int[end - start];
            tokens.copy(start, window, 0, window.length);
            chunks.add(new Chunk(chunks.size(), window));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<double[]> sums = new ArrayList<>(jsc.parallelize(chunks, Math.max(1, Math.min(chunks.size(),
                jsc.defaultParallelism() * 4))).map(c -> {
                    double[] loss = PerplexityScorer.sequenceLoss(ExecutorModels.session(model), c.tokens(), context);
                    return new double[] {c.index(), loss[0], loss[1]};
                }).collect());
        sums.sort(Comparator.comparingDouble(s -> s[0]));
        double total = 0;
        double count = 0;
        for (double[] s : sums) {
            total += s[1];
            count += s[2];
        }
        return new double[] {total, count};
    }
}
