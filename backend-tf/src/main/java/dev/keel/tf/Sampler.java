package dev.keel.tf;

import dev.keel.api.infer.GenerationRequest;
import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from logits as a {@link GenerationRequest} asks: greedy at temperature 0, else
 * softmax at the temperature, cut to the top k and then to the smallest set holding top-p of the mass.
 * Draws come from the request's seeded {@link Random}, so a request repeats exactly.
 */
final class Sampler {
    private final GenerationRequest request;
    private final Random random;

    Sampler(GenerationRequest request) {
        this.request = request;
        this.random = new Random(request.seed());
    }

    int next(float[] logits) {
        if (request.temperature() == 0) {
            return argmax(logits);
        }
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // Ties break by id so the order, and with it every draw, is reproducible.
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
        int keep = request.topK() > 0 ? Math.min(request.topK(), n) : n;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / request.temperature());
            total += p[i];
        }
        if (request.topP() < 1) {
            double mass = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                mass += p[i] / total;
                if (mass >= request.topP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            total = 0;
            for (int i = 0; i < keep; i++) {
                total += p[i];
            }
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= p[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
