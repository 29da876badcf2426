package dev.keel.benchmarks;

import static dev.keel.benchmarks.ServeBenchmark.arg;
import static dev.keel.benchmarks.ServeBenchmark.load;

import dev.keel.api.ModelRef;
import dev.keel.api.infer.InferenceSession;
import dev.keel.runtime.KeelRuntime;
import dev.keel.spi.infer.DecodeBatch;
import dev.keel.spi.infer.StepDecoding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's side of continuous batching, without the server: tokens/s of a {@link DecodeBatch} stepping
 * {@code --rows} sequences together against one sequence, on one backend. It isolates the step (the graph run
 * and the cache handling) from HTTP, sampling and streaming, so two builds' figures differ by the engine alone.
 *
 * <pre>bin/bench DecodeStepBenchmark --gpt2 DIR [--backend onnx] [--rows 16] [--steps 48] [--rounds 7]</pre>
 */
public final class DecodeStepBenchmark {
    private DecodeStepBenchmark() { }

    public static void main(String[] args) throws Exception {
        String gpt2 = arg(args, "--gpt2", "runs/shakespeare");
        String backend = arg(args, "--backend", "onnx");
        int rows = Integer.parseInt(arg(args, "--rows", "16"));
        int steps = Integer.parseInt(arg(args, "--steps", "48"));
        int rounds = Integer.parseInt(arg(args, "--rounds", "7"));
        System.out.printf("machine: %d cores, load average at start %s%n", Runtime.getRuntime().availableProcessors(),
                load());
        try (KeelRuntime runtime = KeelRuntime.builder().backend(backend).build();
                InferenceSession session = runtime.open(ModelRef.parse(gpt2))) {
            StepDecoding decoding = StepDecoding.of(session).orElseThrow(() -> new IllegalStateException(
                    backend + " does not decode sequences together"));
            int prompt = 8;
            if (prompt + steps >= decodeContext(decoding)) {
                throw new IllegalArgumentException("--steps " + steps + " plus an 8-token prompt must stay under the "
                        + "model's context of " + decodeContext(decoding) + " positions");
            }
            run(decoding, 1, prompt, steps, 2); // warm-up
            run(decoding, rows, prompt, steps, 2);
            double[] one = new double[rounds];
            double[] many = new double[rounds];
            for (int r = 0; r < rounds; r++) { // alternating, so load changes touch both alike
                one[r] = run(decoding, 1, prompt, steps, 1);
                many[r] = run(decoding, rows, prompt, steps, 1);
            }
            double a = median(one);
            double b = median(many);
            System.out.printf("%s, %d steps after %d-token prompts, median of %d rounds:%n", session.info().backend(),
                    steps, prompt, rounds);
            System.out.printf("  1 sequence   %8.3f ms per step  %9.1f tokens/s%n", a * 1e3, 1 / a);
            System.out.printf("  %2d sequences %8.3f ms per step  %9.1f tokens/s%n", rows, b * 1e3, rows / b);
            System.out.printf("  batched / one sequence: %.2fx tokens/s%n", rows / b / (1 / a));
        }
        System.out.printf("load average at end %s%n", load());
    }

    private static int decodeContext(StepDecoding decoding) {
        try (DecodeBatch batch = decoding.openBatch()) {
            return batch.context();
        }
    }

    /** Seconds per step of {@code rows} sequences, the best of {@code repeats} runs. */
    private static double run(StepDecoding decoding, int rows, int prompt, int steps, int repeats) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < repeats; rep++) {
            try (DecodeBatch batch = decoding.openBatch()) {
                List<Object> keys = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    int[] tokens = new int[prompt - r % 3]; // rows of different lengths, as in serving
                    for (int i = 0; i < tokens.length; i++) {
                        tokens[i] = 1 + (r * 7 + i * 3) % 20;
                    }
                    batch.add(r, tokens);
                    keys.add(r);
                }
                int[] next = new int[rows];
                long start = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    Arrays.fill(next, 1 + s % 20);
                    batch.step(keys, next);
                }
                best = Math.min(best, (System.nanoTime() - start) / 1e9 / steps);
            }
        }
        return best;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
