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
 *
 * <p>The loop is a {@link Decoder}, a state machine that is handed logits and answers the next token to feed,
 * so that a driver decoding many sequences together (continuous batching) runs every sequence's sampling,
 * stop checks and streaming on its one stepping thread; {@link #run} drives one decoder with a
 * {@link Stepper} for a session's own generate. Both give the same text for the same logits.
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
        Decoder decoder = new Decoder(inferenceId, request, tokenizer, contextLength, listener);
        if (!decoder.done()) {
            int next = decoder.accept(stepper.step(decoder.prompt()));
            while (next >= 0) {
                next = decoder.accept(stepper.step(new int[] {next}));
            }
        }
        return decoder.outcome();
    }

    /**
     * One generation as a state machine: feed {@link #prompt()} to the model, hand its logits to
     * {@link #accept}, feed the token it returns, and so on until it returns {@code -1}; then
     * {@link #outcome()} holds the result. Text goes to the listener as {@code accept} settles it. Not
     * thread-safe: one thread at a time drives a decoder (not necessarily the same one).
     */
    public static final class Decoder {
        private final String inferenceId;
        private final GenerationRequest request;
        private final Tokenizer tokenizer;
        private final TokenListener listener;
        private final int[] prompt;
        private final Sampler sampler;
        private final int[] out;
        private final long start;
        private long first;
        private int produced;
        private StopReason stopReason = StopReason.LENGTH;
        private String emitted = "";
        private Outcome outcome;

        /**
         * Encodes the prompt and checks it against {@code contextLength}; the clock for the first-token and
         * total times starts here, so time spent waiting for a place in a batch counts.
         *
         * @throws InvalidInputException when the prompt is empty without an end-of-text token to start from, or
         *                               prompt plus max tokens exceed {@code contextLength}
         */
        public Decoder(String inferenceId, GenerationRequest request, Tokenizer tokenizer, int contextLength,
                TokenListener listener) {
            this.inferenceId = inferenceId;
            this.request = request;
            this.tokenizer = tokenizer;
            this.listener = listener;
            int[] p = tokenizer.encode(request.prompt());
            if (p.length == 0) {
                int eot = tokenizer.endOfTextId();
                if (eot < 0) {
                    throw new InvalidInputException("the prompt is empty and this tokenizer has no end-of-text "
                            + "token to start from; give at least one character of prompt");
                }
                p = new int[] {eot};
            }
            if (p.length + request.maxTokens() > contextLength) {
                throw new InvalidInputException("prompt (" + p.length + " tokens) plus max tokens ("
                        + request.maxTokens() + ") exceeds the model's context of " + contextLength
                        + " positions; shorten the prompt or lower --max-tokens");
            }
            this.prompt = p;
            this.sampler = new Sampler(request);
            this.out = new int[request.maxTokens()];
            this.start = System.nanoTime();
            if (request.maxTokens() == 0) {
                finish();
            }
        }

        /** The encoded prompt: what the model reads first. */
        public int[] prompt() {
            return prompt.clone();
        }

        /** Whether the generation has ended (then {@link #outcome()} is set and no more logits are wanted). */
        public boolean done() {
            return outcome != null;
        }

        /**
         * Takes the model's logits after the last token fed, samples the next token, streams the text it
         * settles and checks the stops. Returns the token to feed next, or {@code -1} when the generation
         * ended. An exception from the listener propagates and leaves the decoder unfinished.
         */
        public int accept(float[] logits) {
            if (outcome != null) {
                throw new IllegalStateException("generation " + inferenceId + " has ended; it takes no more logits");
            }
            int next = sampler.next(logits);
            if (produced == 0) {
                first = System.nanoTime() - start;
            }
            if (next == tokenizer.endOfTextId()) {
                stopReason = StopReason.EOS;
                finish();
                return -1;
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
                finish();
                return -1;
            }
            // hold back an incomplete multi-byte character (decoded as U+FFFD) and any tail that may be the
            // start of a stop string, until the next tokens settle it
            String safe = text.substring(0, text.length() - heldBack(text, request));
            if (!safe.endsWith("\uFFFD") && safe.length() > emitted.length() && safe.startsWith(emitted)) {
                listener.onToken(next, safe.substring(emitted.length()));
                emitted = safe;
            }
            if (produced < request.maxTokens()) {
                return next;
            }
            finish();
            return -1;
        }

        /** The result; only once {@link #done()}. */
        public Outcome outcome() {
            if (outcome == null) {
                throw new IllegalStateException("generation " + inferenceId + " has not ended yet");
            }
            return outcome;
        }

        private void finish() {
            long total = System.nanoTime() - start;
            String finalText = stopReason == StopReason.STOP ? emitted : tokenizer.decode(Arrays.copyOf(out, produced));
            if (stopReason != StopReason.STOP && finalText.length() > emitted.length() && finalText.startsWith(emitted)) {
                listener.onToken(-1, finalText.substring(emitted.length()));
            }
            double msPerToken = produced > 1 ? (total - first) / 1e6 / (produced - 1) : total / 1e6;
            GenerationResult result = new GenerationResult(inferenceId, finalText, Arrays.copyOf(out, produced),
                    first / 1e6, msPerToken, stopReason);
            outcome = new Outcome(result, prompt.length, first, total);
        }
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
