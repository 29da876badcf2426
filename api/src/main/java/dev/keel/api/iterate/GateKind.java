package dev.keel.api.iterate;

/** What a promotion gate protects, as the continuous-learning loop groups its checks. */
public enum GateKind {
    /** The challenger is good enough on the new held-out data (absolute and against the champion). */
    QUALITY,
    /** The challenger has not lost more than allowed on a frozen golden set. */
    FORGETTING,
    /** Group fairness and counterfactual flips are under a limit and no worse than the champion's. */
    BIAS,
    /** The challenger loads on each configured backend, answers, and is not much slower. */
    SERVING,
    /** Replayed on recently served inputs, the challenger agrees with the champion and is right. */
    SHADOW
}
