package dev.keel.spi.data;

import dev.keel.api.InvalidInputException;
import dev.keel.api.tokenize.Tokenizer;

/**
 * How a prompt/response pair becomes tokens, the one shape that prompt-response training and every evaluation of
 * such a model share: the prompt's tokens, the response's, then end-of-text when the vocabulary has one. The loss
 * counts the targets from the prompt's last token on (predicting the response and its end), never the prompt.
 *
 * @param tokens       prompt, response and end-of-text, cut so that {@code tokens.length - 1} inputs fit the context
 * @param promptLength the prompt's tokens: targets at input positions {@code promptLength - 1} and later are scored
 */
public record PromptResponse(int[] tokens, int promptLength) {

    /**
     * @param example the pair's number (1-based) for messages
     * @throws InvalidInputException when the prompt is empty or longer than the context
     */
    public static PromptResponse encode(Tokenizer tokenizer, String prompt, String response, int context, int example) {
        int[] p = tokenizer.encode(prompt);
        int[] r = tokenizer.encode(response);
        int eos = tokenizer.endOfTextId();
        int n = p.length + r.length + (eos >= 0 ? 1 : 0);
        int[] all = new int[n];
        System.arraycopy(p, 0, all, 0, p.length);
        System.arraycopy(r, 0, all, p.length, r.length);
        if (eos >= 0) {
            all[n - 1] = eos;
        }
        int inputs = Math.min(n - 1, context);
        if (p.length == 0 || inputs < p.length) {
            throw new InvalidInputException("example " + example + " has " + (p.length == 0 ? "an empty prompt"
                    : "a prompt of " + p.length + " tokens, longer than the model's context " + context)
                    + "; shorten it");
        }
        return new PromptResponse(java.util.Arrays.copyOf(all, inputs + 1), p.length);
    }

    /** The model's inputs: every token but the last. */
    public int[] inputs() {
        return java.util.Arrays.copyOf(tokens, tokens.length - 1);
    }
}
