package dev.keel.adapters;

import dev.keel.api.InvalidInputException;

/**
 * Stops a run when a dev metric that should rise (accuracy) has not beaten its best by {@code minDelta}
 * for {@code patience} evaluations in a row; the caller keeps the weights of the best evaluation.
 */
public final class EarlyStopping {
    private final int patience;
    private final double minDelta;
    private double best = Double.NEGATIVE_INFINITY;
    private int bestEvaluation = -1;
    private int evaluations;
    private int sinceBest;

    public EarlyStopping(int patience, double minDelta) {
        if (patience < 0 || minDelta < 0) {
            throw new InvalidInputException("early stopping needs patience >= 0 (0 disables it) and min delta >= 0");
        }
        this.patience = patience;
        this.minDelta = minDelta;
    }

    /** Records an evaluation; true when it is the new best (save the weights then). */
    public boolean update(double value) {
        evaluations++;
        if (value > best + minDelta || bestEvaluation < 0) {
            best = Math.max(best, value);
            bestEvaluation = evaluations;
            sinceBest = 0;
            return true;
        }
        sinceBest++;
        return false;
    }

    public boolean shouldStop() {
        return patience > 0 && sinceBest >= patience;
    }

    public double best() {
        return best;
    }

    /** What a resumed run needs to continue counting: best, best evaluation, evaluations, evaluations since best. */
    public double[] state() {
        return new double[] {best, bestEvaluation, evaluations, sinceBest};
    }

    /** Continues from {@link #state()} saved by a stopped run. */
    public void restore(double[] state) {
        best = state[0];
        bestEvaluation = (int) state[1];
        evaluations = (int) state[2];
        sinceBest = (int) state[3];
    }

    /** 1-based index of the best evaluation, or -1 before the first. */
    public int bestEvaluation() {
        return bestEvaluation;
    }
}
