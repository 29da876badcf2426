package dev.keel.djl.gpt2;

import dev.keel.api.infer.GenerationRequest;
import java.util.Arrays;

/**
 * Picks the next token from one row of logits: greedy at temperature 0, else temperature, top-k and top-p
 * (nucleus) filtering and a draw from a generator seeded by the request, so a request repeats exactly.
 * Runs on the JVM in double precision; the vocabulary row is small next to a forward pass.
 */
final class Sampler {
    private final GenerationRequest request;
    private final SplitMix64 random;

    Sampler(GenerationRequest request) {
        this.request = request;
        this.random = new SplitMix64(request.seed());
    }

    int next(float[] logits) {
        if (request.temperature() == 0) {
            return argMax(logits);
        }
        int n = logits.length;
        double[] scaled = new double[n];
        for (int i = 0; i < n; i++) {
            scaled[i] = logits[i] / request.temperature();
        }
        if (request.topK() > 0 && request.topK() < n) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double threshold = sorted[n - request.topK()];
            for (int i = 0; i < n; i++) {
                if (scaled[i] < threshold) {
                    scaled[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double v : scaled) {
            max = Math.max(max, v);
        }
        double[] probs = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(scaled[i] - max);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) {
            probs[i] /= sum;
        }
        if (request.topP() < 1) {
            nucleus(probs, request.topP());
        }
        double u = random.nextDouble();
        double total = 0;
        for (double p : probs) {
            total += p;
        }
        double target = u * total;
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (cumulative > target) {
                    return i;
                }
            }
        }
        return last;
    }

    /** Zeroes every token outside the smallest set of most likely tokens whose mass reaches {@code p}. */
    private static void nucleus(double[] probs, double p) {
        Integer[] order = new Integer[probs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
        double cumulative = 0;
        int keep = 0;
        while (keep < order.length && cumulative < p) {
            cumulative += probs[order[keep]];
            keep++;
        }
        for (int i = Math.max(keep, 1); i < order.length; i++) {
            probs[order[i]] = 0;
        }
    }

    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
