package dev.keel.api.iterate;

/**
 * Stage four's loop: new labelled data or feedback produces a challenger, the challenger is checked against
 * the champion on what matters (quality, forgetting, bias, serving, shadow), and only a challenger that
 * passes every gate is promoted. Every round is recorded in the model registry, promoted or not.
 */
public interface IterationLoop {
    /** Runs one round now: train, register, gate, and promote when every gate passes and promotion is allowed. */
    RoundResult run(Trigger trigger);

    /** Says what a round would train and gate, checking the data, without training or registering anything. */
    RoundResult plan(Trigger trigger);
}
