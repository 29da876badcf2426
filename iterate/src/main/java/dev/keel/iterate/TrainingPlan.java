package dev.keel.iterate;

import dev.keel.api.InvalidInputException;
import dev.keel.api.ModelRef;
import dev.keel.api.adapt.AdaptationMethod;
import dev.keel.api.adapt.AdaptationTask;
import dev.keel.api.adapt.LoraConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a round trains: the challenger's method and base, the model it starts from, the data and the schedule.
 *
 * @param method       head, lora or full (the champion's unless the round was told otherwise)
 * @param base         the pretrained model the challenger builds on (a head's or LoRA's base; for full, the
 *                     model whose weights it starts from)
 * @param warmStart    the champion's folder when the challenger starts from it (its head, adapter or weights),
 *                     null to start fresh
 * @param train        the round's training file (JSONL with text, label, source, weight)
 * @param out          the challenger's folder (new)
 * @param epochs       passes over the training data
 * @param learningRate peak learning rate
 * @param batchSize    examples per step
 * @param maxLength    longest input in tokens
 * @param lora         LoRA settings (the champion's, so a warm start fits its adapter)
 * @param headHidden   a head's hidden width (the champion's)
 * @param seed         every random choice
 * @param task         classify, causal-lm (new text) or prompt-response (new pairs): the champion's task
 * @param dev          a text the adapter only measures before and after training (causal-lm: the round's held-out
 *                     text, so that the whole training file is trained on), or null
 */
public record TrainingPlan(AdaptationMethod method, ModelRef base, Path warmStart, Path train, Path out, int epochs,
        double learningRate, int batchSize, int maxLength, LoraConfig lora, int headHidden, long seed,
        AdaptationTask task, Path dev) {

    public TrainingPlan {
        if (method == null || base == null || train == null || out == null || task == null) {
            throw new InvalidInputException("a training plan needs a method, a task, a base, training data and an "
                    + "output folder");
        }
        if (epochs <= 0 || !(learningRate > 0) || batchSize <= 0 || maxLength <= 0) {
            throw new InvalidInputException("a round trains with epochs, learning rate, batch size and max length > 0; "
                    + "got " + epochs + ", " + learningRate + ", " + batchSize + ", " + maxLength);
        }
        lora = lora == null ? LoraConfig.defaults() : lora;
    }

    /** A classifier's plan (the task a round trained before language models iterated too). */
    public TrainingPlan(AdaptationMethod method, ModelRef base, Path warmStart, Path train, Path out, int epochs,
            double learningRate, int batchSize, int maxLength, LoraConfig lora, int headHidden, long seed) {
        this(method, base, warmStart, train, out, epochs, learningRate, batchSize, maxLength, lora, headHidden, seed,
                AdaptationTask.CLASSIFY, null);
    }

    /** The plan as a dry run and the round record show it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method.name().toLowerCase(java.util.Locale.ROOT));
        m.put("task", task.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        m.put("base", base.toString());
        m.put("warm_start", warmStart == null ? null : warmStart.toString());
        m.put("epochs", epochs);
        m.put("learning_rate", learningRate);
        m.put("batch_size", batchSize);
        m.put("max_length", maxLength);
        if (method == AdaptationMethod.LORA) {
            m.put("lora_r", lora.rank());
            m.put("lora_alpha", lora.alpha());
            m.put("lora_targets", lora.targetModules());
        }
        if (method == AdaptationMethod.HEAD) {
            m.put("head_hidden", headHidden);
        }
        m.put("seed", seed);
        return m;
    }
}
