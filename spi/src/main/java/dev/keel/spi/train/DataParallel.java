package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import java.util.List;
import org.apiguardian.api.API;

/**
 * One worker's part in a data-parallel classification run: what must be decided over all shards rather than
 * over the worker's own (the label set and its order, so every worker builds the same classifier; the label
 * counts of all shards, so class weights agree), and the hook that keeps the parameters in step.
 *
 * @param rank        this worker's index, from 0
 * @param workers     workers in the run
 * @param labels      the label set of all the training data, in classifier order
 * @param labelCounts examples per label over all shards, in {@code labels} order
 * @param sync        called after each optimisation step
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record DataParallel(int rank, int workers, List<String> labels, int[] labelCounts, ParameterSync sync) {
    public DataParallel {
        if (workers < 1 || rank < 0 || rank >= workers) {
            throw new InvalidInputException("a data-parallel worker needs 0 <= rank < workers; got rank " + rank
                    + " of " + workers);
        }
        if (labels == null || labelCounts == null || labels.size() != labelCounts.length || sync == null) {
            throw new InvalidInputException("a data-parallel worker needs the labels, one count per label and a "
                    + "parameter sync; got " + labels + " and " + (labelCounts == null ? null : labelCounts.length)
                    + " counts");
        }
        labels = List.copyOf(labels);
        labelCounts = labelCounts.clone();
    }

    @Override
    public int[] labelCounts() {
        return labelCounts.clone();
    }
}
