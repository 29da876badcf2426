/**
 * What every engine's training shares, so that the Java API and the command line mean the same thing by the same
 * setting and a run moves between engines: the schedule of a run ({@link dev.keel.spi.train.Schedules}: how long
 * it lasts, how its warmup fits), the pre-training loop itself ({@link dev.keel.spi.train.PretrainLoop}:
 * output-folder claims, schedule, evaluation cadence, checkpoints, log, interruption, resume), the one
 * resume-state format ({@link dev.keel.spi.train.PretrainCheckpoint}) that lets a run started on one engine
 * continue on another, the engine-neutral pieces a resumed run must reproduce exactly (initial weights, the
 * batch sampler), and how a loop notices it should stop ({@link dev.keel.spi.train.TrainingStop}). An engine
 * supplies only a {@link dev.keel.spi.train.PretrainEngine}: one optimisation step, one loss, and its weights and
 * AdamW moments as tensors. Also the hook through which a trainer takes part in a data-parallel run
 * ({@link dev.keel.spi.train.DataParallelAdapter}, {@link dev.keel.spi.train.ParameterSync}).
 */
package dev.keel.spi.train;
