package dev.keel.iterate.eval;

import dev.keel.api.InvalidInputException;
import dev.keel.api.data.Split;
import dev.keel.api.data.TextCorpus;
import dev.keel.api.infer.EvaluationResult;
import dev.keel.api.infer.GenerationRequest;
import dev.keel.api.infer.InferenceSession;
import dev.keel.api.model.Gpt2Config;
import dev.keel.api.tokenize.Tokenizer;
import dev.keel.iterate.data.LabelledRow;
import dev.keel.monitors.builtin.PerplexityScorer;
import dev.keel.spi.data.PromptResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a language model's round measures, the same way for champion and challenger, through the engine-neutral
 * session: the mean next-token loss and perplexity of a text ({@link InferenceSession#evaluate}, every token in
 * non-overlapping context-long blocks), the mean loss of the response tokens of prompt/response pairs (from
 * {@link InferenceSession#logits}, as prompt-response training counts its loss), and greedy continuations for
 * the serving and shadow checks.
 */
public final class LanguageModelEvaluation {
    public static final String LOSS = "loss";
    public static final String PERPLEXITY = "perplexity";
    public static final String TOKENS = "tokens";
    /** Tokens each greedy continuation of the serving and shadow checks runs to. */
    public static final int CONTINUATION_TOKENS = 16;

    private LanguageModelEvaluation() { }

    /** Loss, perplexity and tokens scored on a whole text file. */
    public static Map<String, Double> text(InferenceSession session, Path file, String what) {
        EvaluationResult r;
        try {
            r = session.evaluate(TextCorpus.of(file), Split.ALL);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(what + " (" + file + ") cannot be scored: " + e.getMessage(), e);
        }
        return figures(r.loss(), r.tokens());
    }

    /**
     * Mean loss per response token over prompt/response pairs (the prompt's tokens are context, not scored; the
     * end-of-text token after the response is scored when the vocabulary has one, as training shapes pairs).
     */
    public static Map<String, Double> pairs(InferenceSession session, List<LabelledRow> pairs, String what) {
        Tokenizer tokenizer = session.tokenizer();
        int context = context(session);
        double sum = 0;
        long count = 0;
        int example = 0;
        for (LabelledRow pair : pairs) {
            PromptResponse encoded = PromptResponse.encode(tokenizer, pair.text(), pair.label(), context, ++example);
            int[] all = encoded.tokens();
            float[][] logits = session.logits(encoded.inputs());
            for (int i = encoded.promptLength() - 1; i < all.length - 1; i++) {
                sum += PerplexityScorer.tokenLoss(logits[i], all[i + 1]);
                count++;
            }
        }
        if (count == 0) {
            throw new InvalidInputException(what + " has no response tokens to score; give pairs with non-empty "
                    + "responses");
        }
        return figures(sum / count, count);
    }

    private static Map<String, Double> figures(double loss, long tokens) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(LOSS, loss);
        m.put(PERPLEXITY, Math.exp(loss));
        m.put(TOKENS, (double) tokens);
        return m;
    }

    /** The model's context in tokens. */
    public static int context(InferenceSession session) {
        return session.info().config() instanceof Gpt2Config g ? g.nPositions() : Integer.MAX_VALUE;
    }

    /**
     * A prompt that leaves room for {@link #CONTINUATION_TOKENS} new tokens in the model's context: the text's
     * last tokens that fit (null when the text has none).
     */
    public static String prompt(String text, Tokenizer tokenizer, int context) {
        int[] ids = tokenizer.encode(text);
        int keep = Math.max(1, context - CONTINUATION_TOKENS);
        if (ids.length == 0) {
            return null;
        }
        return ids.length <= keep ? text : tokenizer.decode(java.util.Arrays.copyOfRange(ids, ids.length - keep,
                ids.length));
    }

    /** The greedy continuation of a prompt (deterministic, so two models can be compared on it). */
    public static String greedy(InferenceSession session, String prompt) {
        return session.generate(GenerationRequest.builder().prompt(prompt).maxTokens(CONTINUATION_TOKENS).greedy()
                .seed(0).build()).text();
    }

    /**
     * Shadow replay for a language model: the share of captured prompts whose greedy continuation by the
     * challenger equals the champion's, exactly ({@code shadow_agreement}). Accuracy needs labels a completion
     * does not have, so it is not measured.
     */
    public static Map<String, Map<String, Double>> shadow(InferenceSession champion, InferenceSession challenger,
            List<String> prompts) {
        Map<String, Double> c = new LinkedHashMap<>();
        Map<String, Double> b = new LinkedHashMap<>();
        int agree = 0;
        int n = 0;
        for (String p : prompts) {
            if (p == null) {
                continue;
            }
            String mine = greedy(challenger, p);
            if (champion != null && mine.equals(greedy(champion, p))) {
                agree++;
            }
            n++;
        }
        c.put("inputs", (double) n);
        b.put("inputs", (double) n);
        if (champion != null && n > 0) {
            c.put("shadow_agreement", (double) agree / n);
            b.put("shadow_agreement", 1.0);
        }
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        out.put("challenger", c);
        out.put("champion", b);
        return out;
    }
}
