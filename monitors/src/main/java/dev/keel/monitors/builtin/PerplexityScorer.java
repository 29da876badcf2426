package dev.keel.monitors.builtin;

import dev.keel.api.infer.InferenceSession;
import java.util.Arrays;

/**
 * The model's own perplexity of what it generated, given the prompt: a hallucination signal (text the model
 * itself finds unlikely) that is cheap to track next to the output. Computed off the serving path.
 */
@FunctionalInterface
public interface PerplexityScorer {
    double perplexity(String prompt, String output);

    /**
     * Scores with a causal LM session's {@link InferenceSession#logits}: the exponential of the mean
     * next-token loss over the output's tokens, the prompt given as context, cut to the last {@code maxTokens}.
     */
    static PerplexityScorer of(InferenceSession session, int maxTokens) {
        return (prompt, output) -> {
            int[] p = session.tokenizer().encode(prompt);
            int[] o = session.tokenizer().encode(output);
            if (o.length == 0 || p.length == 0) {
                return Double.NaN;
            }
            int[] all = new int[p.length + o.length];
            System.arraycopy(p, 0, all, 0, p.length);
            System.arraycopy(o, 0, all, p.length, o.length);
            int start = Math.max(0, all.length - maxTokens);
            int[] window = Arrays.copyOfRange(all, start, all.length);
            int firstOutput = Math.max(1, p.length - start);
            float[][] logits = session.logits(window);
            double nll = 0;
            int n = 0;
            for (int pos = firstOutput; pos < window.length; pos++) {
                nll += tokenLoss(logits[pos - 1], window[pos]);
                n++;
            }
            return n == 0 ? Double.NaN : Math.exp(nll / n);
        };
    }

    /** The cross-entropy (nats) of {@code target} under one position's logits, in double precision. */
    static double tokenLoss(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double z = 0;
        for (float v : logits) {
            z += Math.exp(v - max);
        }
        return -(logits[target] - max - Math.log(z));
    }

    /**
     * The summed next-token loss of {@code tokens[from..]} given what precedes each, scored by
     * {@link InferenceSession#logits} in non-overlapping windows of at most {@code context} tokens (as
     * {@code evaluate} cuts a corpus into blocks): element 0 the summed nats, element 1 the tokens scored.
     */
    static double[] sequenceLoss(InferenceSession session, int[] tokens, int context) {
        double nll = 0;
        int n = 0;
        int start = 0;
        while (start < tokens.length - 1) {
            int len = Math.min(context, tokens.length - 1 - start);
            float[][] logits = session.logits(Arrays.copyOfRange(tokens, start, start + len));
            for (int p = 0; p < len; p++) {
                nll += tokenLoss(logits[p], tokens[start + p + 1]);
                n++;
            }
            start += len;
        }
        return new double[] {nll, n};
    }
}
