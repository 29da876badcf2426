package dev.keel.api.infer;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.List;
import org.apiguardian.api.API;

/**
 * A sampling request for a causal LM. Temperature 0 means greedy decoding.
 *
 * @param prompt      the text to continue
 * @param maxTokens   new tokens to generate at most
 * @param temperature softmax temperature; 0 for greedy
 * @param topK        keep the k most likely tokens (0 keeps all)
 * @param topP        nucleus sampling mass (1 keeps all)
 * @param stop        strings that end the generation (not included in the output)
 * @param seed        random seed, so a request repeats exactly
 */
@API(status = STABLE, since = "0.1")
public record GenerationRequest(String prompt, int maxTokens, double temperature, int topK, double topP,
        List<String> stop, long seed) {

    /**
     * @throws InvalidInputException when a setting is out of range; the message names the field and the value
     */
    public GenerationRequest {
        if (prompt == null) {
            throw new InvalidInputException("GenerationRequest.prompt is null; pass the text to continue (may be empty)");
        }
        if (maxTokens < 0) {
            throw new InvalidInputException("GenerationRequest.maxTokens: max tokens must be >= 0, got " + maxTokens);
        }
        if (temperature < 0 || !Double.isFinite(temperature)) {
            throw new InvalidInputException("GenerationRequest.temperature: temperature must be a finite number >= 0 "
                    + "(0 for greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new InvalidInputException("GenerationRequest.topK: top-k must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidInputException("GenerationRequest.topP: top-p must be in (0, 1], got " + topP);
        }
        if (stop != null && stop.stream().anyMatch(java.util.Objects::isNull)) {
            throw new InvalidInputException("GenerationRequest.stop holds a null; pass stop strings, not nulls");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public static GenerationRequest of(String prompt, int maxTokens) {
        return builder().prompt(prompt).maxTokens(maxTokens).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String prompt = "";
        private int maxTokens = 100;
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private List<String> stop = List.of();
        private long seed = 1337;

        public Builder prompt(String v) { prompt = v; return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder greedy() { temperature = 0; return this; }

        /**
         * @throws InvalidInputException when a setting is out of range (see {@link GenerationRequest})
         */
        public GenerationRequest build() {
            return new GenerationRequest(prompt, maxTokens, temperature, topK, topP, stop, seed);
        }
    }
}
