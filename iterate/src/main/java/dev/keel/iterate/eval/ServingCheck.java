package dev.keel.iterate.eval;

import dev.keel.api.infer.InferenceSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The serving gate's probe, as TFX's InfraValidator does it: load the model on a backend, send it the golden
 * requests one at a time, and time them. A model that fails to load or to answer scores {@code answers = 0}
 * (with the error kept for the report) instead of failing the round, so the gate reports it.
 */
public final class ServingCheck {
    public static final String ANSWERS = "answers";
    public static final String P99_MS = "latency_p99_ms";
    public static final String LATENCY_RATIO = "latency_ratio";
    /** Untimed calls first, so class loading and engine warm-up do not count as latency. */
    static final int WARMUP = 3;

    private ServingCheck() { }

    /**
     * @param open     opens the model on the backend under test
     * @param requests the texts to send, one call each
     * @return answers (share answered), latency p50/p99 in ms, requests, and {@code error} text when it failed
     */
    public static Result measure(Supplier<InferenceSession> open, List<String> requests) {
        return measure(open, requests, (s, r) -> s.classify(List.of(r)).predictions().size() == 1);
    }

    /** One golden request: true when the model answered it. */
    @FunctionalInterface
    public interface Call {
        boolean answer(InferenceSession session, String request);
    }

    /**
     * As {@link #measure(Supplier, List)}, sending each request with {@code call} (a language model generates
     * for its golden prompts).
     */
    public static Result measure(Supplier<InferenceSession> open, List<String> requests, Call call) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("requests", (double) requests.size());
        try (InferenceSession s = open.get()) {
            for (int i = 0; i < Math.min(WARMUP, requests.size()); i++) {
                call.answer(s, requests.get(i));
            }
            List<Double> ms = new ArrayList<>();
            int answered = 0;
            for (String r : requests) {
                long t0 = System.nanoTime();
                boolean ok = call.answer(s, r);
                ms.add((System.nanoTime() - t0) / 1e6);
                answered += ok ? 1 : 0;
            }
            double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            m.put(ANSWERS, requests.isEmpty() ? Double.NaN : (double) answered / requests.size());
            m.put("latency_p50_ms", percentile(sorted, 0.50));
            m.put(P99_MS, percentile(sorted, 0.99));
            return new Result(m, null);
        } catch (RuntimeException e) {
            m.put(ANSWERS, 0.0);
            return new Result(m, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The nearest-rank percentile of sorted values; NaN when there are none. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /**
     * @param metrics the figures
     * @param error   why loading or answering failed, or null
     */
    public record Result(Map<String, Double> metrics, String error) {
        public Result {
            metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }
    }

}
