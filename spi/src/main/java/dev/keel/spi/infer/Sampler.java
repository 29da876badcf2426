package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.infer.GenerationRequest;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apiguardian.api.API;

/**
 * Picks the next token from logits the way every backend must, so that the same checkpoint and seed give
 * the same text on every engine: greedy at temperature 0, else softmax at the temperature, restricted to
 * the top-k tokens and then to the smallest set whose probability reaches top-p. Not thread-safe: one per
 * generation.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Sampler {
    private final double temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom random;

    public Sampler(GenerationRequest request) {
        this.temperature = request.temperature();
        this.topK = request.topK();
        this.topP = request.topP();
        this.random = new SplittableRandom(request.seed());
    }

    public int next(float[] logits) {
        if (temperature == 0) {
            return argmax(logits);
        }
        int n = logits.length;
        Integer[] order = null;
        double[] p = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        if ((topK > 0 && topK < n) || topP < 1) {
            order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            double[] probs = p;
            // ties broken by id so every engine keeps the same set
            Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
            int keep = topK > 0 ? Math.min(topK, n) : n;
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += p[order[i]];
            }
            if (topP < 1) {
                double cumulative = 0;
                int nucleus = 0;
                while (nucleus < keep) {
                    cumulative += p[order[nucleus]] / mass;
                    nucleus++;
                    if (cumulative >= topP) {
                        break;
                    }
                }
                keep = nucleus;
            }
            double kept = 0;
            for (int i = 0; i < keep; i++) {
                kept += p[order[i]];
            }
            double u = random.nextDouble() * kept;
            for (int i = 0; i < keep; i++) {
                u -= p[order[i]];
                if (u <= 0) {
                    return order[i];
                }
            }
            return order[keep - 1];
        }
        double u = random.nextDouble();
        for (int i = 0; i < n; i++) {
            u -= p[i];
            if (u <= 0) {
                return i;
            }
        }
        return argmax(logits);
    }

    /** The index of the largest logit; the lowest index wins ties. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
