/**
 * Data-parallel fine-tuning on Spark: one trainer per partition in a barrier stage (the pattern of
 * XGBoost4J-Spark), parameters averaged across the workers every K batches through the barrier context's
 * {@code allGather}, and one ordinary adapted folder as the result, which every backend opens.
 */
package dev.keel.spark.train;
