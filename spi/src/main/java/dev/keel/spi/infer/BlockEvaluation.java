package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.spi.data.TokenArray;
import org.apiguardian.api.API;

/**
 * The deterministic evaluation every backend shares: cut the split into non-overlapping blocks of
 * {@code blockSize + 1} tokens (the last short block included), score each block's next-token predictions,
 * and average over all predicted tokens. The backend supplies the summed loss of a batch of blocks.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class BlockEvaluation {
    /** Sums of negative log-likelihood (nats) over every target of each block in a batch. */
    public interface BatchLoss {
        /**
         * @param inputs  {@code [batch][length]} token ids
         * @param targets {@code [batch][length]} the next token of each input position
         * @return the summed cross-entropy over all targets of the batch
         */
        double sum(int[][] inputs, int[][] targets);
    }

    private BlockEvaluation() { }

    public static EvaluationResult run(TokenArray tokens, int blockSize, int batchSize, BatchLoss loss) {
        int n = tokens.size();
        if (n < 2) {
            throw new InvalidInputException("the split holds " + n + " tokens; evaluation needs at least 2");
        }
        double total = 0;
        long count = 0;
        int start = 0;
        while (start < n - 1) {
            // group blocks of one length into a batch: all full blocks, then the final short one alone
            int len = Math.min(blockSize, n - 1 - start);
            int blocks = len == blockSize ? Math.min(batchSize, (n - 1 - start) / blockSize) : 1;
            int[][] in = new int[blocks][len];
            int[][] tg = new int[blocks][len];
            for (int b = 0; b < blocks; b++) {
                int[] window = new int[len + 1];
                tokens.copy(start + b * len, window, 0, len + 1);
                System.arraycopy(window, 0, in[b], 0, len);
                System.arraycopy(window, 1, tg[b], 0, len);
            }
            total += loss.sum(in, tg);
            count += (long) blocks * len;
            start += blocks * len;
        }
        double mean = total / count;
        return new EvaluationResult(mean, Math.exp(mean), count);
    }
}
