package dev.keel.spi.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.keel.api.model.Gpt2Config;
import dev.keel.api.train.TrainingConfig;
import dev.keel.spi.checkpoint.Tensor;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * The engine-specific part of gpt2 pre-training; {@link PretrainLoop} does the rest. An engine builds a model
 * from given weights (fresh runs get {@link PretrainLoop#initialWeights}, resumed runs the checkpoint's, whoever
 * wrote it), takes AdamW steps and measures losses. AdamW here is nanoGPT's: decoupled weight decay on tensors
 * of two or more dimensions only, bias-corrected moments, epsilon 1e-8, gradients clipped to a global norm
 * first; every engine computes the same update so a checkpoint moves between engines mid-run.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface PretrainEngine {
    /** The backend's name, recorded in keel.json and in the resume state. */
    String backend();

    /**
     * Refuses, with an {@link dev.keel.api.InvalidInputException} naming the setting, what this engine cannot
     * train as asked (the tf engine has no dropout, say). Called before anything is written.
     */
    default void check(Gpt2Config config, TrainingConfig training) { }

    /**
     * A trainable model holding {@code weights} (Keel's canonical gpt2 names, {@code config}'s shapes).
     *
     * @param moments AdamW's moments as {@code NAME.exp_avg} and {@code NAME.exp_avg_sq}, or empty for zeros
     * @param step    updates already taken (Adam's bias correction continues from there)
     */
    Model open(Gpt2Config config, Map<String, Tensor> weights, Map<String, Tensor> moments, int step,
            TrainingConfig training);

    /** One model being trained; closed by the loop. */
    interface Model extends AutoCloseable {
        /**
         * One optimisation step on a batch ({@code x} and {@code y} are {@code batch x block} token ids, row
         * major): forward, backward, global-norm clipping, AdamW at {@code learningRate}.
         *
         * @param step the 0-based step being taken (engines seed per-step randomness, e.g. dropout, from it)
         * @return the batch's mean loss before the update
         */
        float step(int step, int[] x, int[] y, double learningRate);

        /** The mean loss on a batch, without gradients or dropout. */
        double loss(int[] x, int[] y);

        /** Current weights with canonical names. */
        List<Tensor> weights();

        /** AdamW's moments, named {@code NAME.exp_avg} and {@code NAME.exp_avg_sq} (PyTorch's names). */
        List<Tensor> moments();

        @Override
        void close();
    }
}
