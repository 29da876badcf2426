package dev.keel.api.adapt;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.Locale;
import org.apiguardian.api.API;

/** What the adapted model is for. */
@API(status = STABLE, since = "0.1")
public enum AdaptationTask {
    /** Supervised sequence classification from labelled text. */
    CLASSIFY,
    /** Unsupervised domain adaptation: continued next-token training on unlabelled text. */
    CAUSAL_LM,
    /** Supervised prompt/response tuning with the loss on response tokens only. */
    PROMPT_RESPONSE;

    /**
     * Reads the command line's spelling (case-insensitive): classify, causal-lm or prompt-response.
     *
     * @throws InvalidInputException for any other text
     */
    public static AdaptationTask parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (RuntimeException e) {
            throw new InvalidInputException("unknown task '" + text
                    + "'; expected classify, causal-lm or prompt-response");
        }
    }
}
