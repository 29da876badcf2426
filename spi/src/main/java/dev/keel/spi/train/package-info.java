/**
 * What every engine's pre-training shares: the training loop itself ({@link dev.keel.spi.train.PretrainLoop}:
 * output-folder claims, schedule, evaluation cadence, checkpoints, log, interruption, resume), the one
 * resume-state format ({@link dev.keel.spi.train.PretrainCheckpoint}) that lets a run started on one engine
 * continue on another, and the engine-neutral pieces a resumed run must reproduce exactly (initial weights,
 * the batch sampler). An engine supplies only a {@link dev.keel.spi.train.PretrainEngine}: one optimisation step,
 * one loss, and its weights and AdamW moments as tensors.
 */
package dev.keel.spi.train;
