package dev.keel.api.adapt;

import dev.keel.api.InvalidInputException;
import java.util.List;

/**
 * Low-rank adaptation settings, with Hugging Face PEFT's defaults (r 8, alpha 8, dropout 0).
 *
 * @param rank          the rank r of the update {@code B A}
 * @param alpha         the scale numerator; the update is multiplied by {@code alpha / r}
 * @param dropout       dropout on the adapter input
 * @param targetModules module names to adapt; empty means the family default
 *                      ({@code query, value} for bert, {@code c_attn} for gpt2)
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {
    public LoraConfig {
        if (rank <= 0) {
            throw new InvalidInputException("LoRA rank must be positive, got " + rank);
        }
        if (alpha <= 0) {
            throw new InvalidInputException("LoRA alpha must be positive, got " + alpha);
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
