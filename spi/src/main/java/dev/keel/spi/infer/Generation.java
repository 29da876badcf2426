package dev.keel.spi.infer;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.InvalidInputException;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.GenerationResult;
import dev.keel.api.infer.StopReason;
import dev.keel.api.infer.TokenListener;
import dev.keel.api.tokenize.Tokenizer;
import java.util.Arrays;
import org.apiguardian.api.API;

/**
 * The engine-neutral part of generation: encode the prompt, step the model, sample, stream decoded text,
 * stop on length, end-of-text or a stop string, and time it. A backend supplies only the step function.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Generation {
    /** One model step. Implementations keep their own key/value cache between calls. */
    public interface Stepper {
        /**
         * Feeds {@code tokens} (the whole prompt on the first call, then one token) and returns the logits
         * for the position after the last one.
         */
        float[] step(int[] tokens);
    }

    private Generation() { }

    /** Timings and tokens of a run, for the inference event. */
    public record Outcome(GenerationResult result, int promptTokens, long firstTokenNanos, long totalNanos) { }

    /**
     * Runs a generation. {@code contextLength} bounds prompt plus output (the model's positions); a
     * backend without a sliding window passes its {@code n_positions}.
     */
    public static Outcome run(String inferenceId, GenerationRequest request, Tokenizer tokenizer, int contextLength,
            Stepper stepper, TokenListener listener) {
        int[] prompt = tokenizer.encode(request.prompt());
        if (prompt.length == 0) {
            int eot = tokenizer.endOfTextId();
            if (eot < 0) {
                throw new InvalidInputException("the prompt is empty and this tokenizer has no end-of-text token "
                        + "to start from; give at least one character of prompt");
            }
            prompt = new int[] {eot};
        }
        if (prompt.length + request.maxTokens() > contextLength) {
            throw new InvalidInputException("prompt (" + prompt.length + " tokens) plus max tokens ("
                    + request.maxTokens() + ") exceeds the model's context of " + contextLength
                    + " positions; shorten the prompt or lower --max-tokens");
        }
        Sampler sampler = new Sampler(request);
        long start = System.nanoTime();
        long first = 0;
        int[] out = new int[request.maxTokens()];
        int produced = 0;
        StopReason stopReason = StopReason.LENGTH;
        String emitted = "";
        float[] logits = request.maxTokens() > 0 ? stepper.step(prompt) : null;
        while (produced < request.maxTokens()) {
            int next = sampler.next(logits);
            if (produced == 0) {
                first = System.nanoTime() - start;
            }
            if (next == tokenizer.endOfTextId()) {
                stopReason = StopReason.EOS;
                break;
            }
            out[produced++] = next;
            String text = tokenizer.decode(Arrays.copyOf(out, produced));
            int stopAt = stopIndex(text, request);
            if (stopAt >= 0) {
                text = text.substring(0, stopAt);
                if (text.length() > emitted.length() && text.startsWith(emitted)) {
                    listener.onToken(next, text.substring(emitted.length()));
                }
                emitted = text;
                stopReason = StopReason.STOP;
                break;
            }
            // hold back an incomplete multi-byte character (decoded as U+FFFD) and any tail that may be the
            // start of a stop string, until the next tokens settle it
            String safe = text.substring(0, text.length() - heldBack(text, request));
            if (!safe.endsWith("\uFFFD") && safe.length() > emitted.length() && safe.startsWith(emitted)) {
                listener.onToken(next, safe.substring(emitted.length()));
                emitted = safe;
            }
            if (produced < request.maxTokens()) {
                logits = stepper.step(new int[] {next});
            }
        }
        long total = System.nanoTime() - start;
        String finalText = stopReason == StopReason.STOP ? emitted : tokenizer.decode(Arrays.copyOf(out, produced));
        if (stopReason != StopReason.STOP && finalText.length() > emitted.length() && finalText.startsWith(emitted)) {
            listener.onToken(-1, finalText.substring(emitted.length()));
        }
        double msPerToken = produced > 1 ? (total - first) / 1e6 / (produced - 1) : total / 1e6;
        GenerationResult result = new GenerationResult(inferenceId, finalText, Arrays.copyOf(out, produced),
                first / 1e6, msPerToken, stopReason);
        return new Outcome(result, prompt.length, first, total);
    }

    /** The length of the longest tail of {@code text} that begins some stop string. */
    private static int heldBack(String text, GenerationRequest request) {
        int held = 0;
        for (String s : request.stop()) {
            for (int k = Math.min(s.length() - 1, text.length()); k > held; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }

    private static int stopIndex(String text, GenerationRequest request) {
        int best = -1;
        for (String s : request.stop()) {
            if (s.isEmpty()) {
                continue;
            }
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }
}
