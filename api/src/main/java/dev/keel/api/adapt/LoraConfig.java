package dev.keel.api.adapt;

import static org.apiguardian.api.API.Status.STABLE;

import dev.keel.api.InvalidInputException;
import java.util.List;
import org.apiguardian.api.API;

/**
 * Low-rank adaptation settings, with Hugging Face PEFT's defaults (r 8, alpha 8, dropout 0).
 *
 * @param rank          the rank r of the update {@code B A}
 * @param alpha         the scale numerator; the update is multiplied by {@code alpha / r}
 * @param dropout       dropout on the adapter input, in [0, 1)
 * @param targetModules module names to adapt; empty means the family default
 *                      ({@code query, value} for bert, {@code c_attn} for gpt2)
 */
@API(status = STABLE, since = "0.1")
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {
    /**
     * @throws InvalidInputException when the rank or alpha is not positive, the dropout is outside [0, 1), or a
     *         target module is null or blank
     */
    public LoraConfig {
        if (rank <= 0) {
            throw new InvalidInputException("LoRA rank must be positive, got " + rank);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new InvalidInputException("LoRA alpha must be positive, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new InvalidInputException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules != null && targetModules.stream().anyMatch(m -> m == null || m.isBlank())) {
            throw new InvalidInputException("LoRA target modules hold a null or blank name: " + targetModules
                    + "; name modules as the model does (query, value, c_attn, ...)");
        }
        targetModules = targetModules == null ? List.of() : List.copyOf(targetModules);
    }

    public static LoraConfig defaults() {
        return new LoraConfig(8, 8, 0.0, List.of());
    }

    public double scaling() {
        return alpha / rank;
    }
}
