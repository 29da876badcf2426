/**
 * Keel on Apache Spark: transformers that embed, classify, generate and score a text column of a
 * {@code Dataset<Row>} on the executors (one model per executor JVM, bounded batches per partition), the
 * classification metrics and drift tests of the single-machine tools computed as Spark aggregations, and
 * Spark SQL functions. Engine-neutral: executors open models through {@link dev.keel.runtime.KeelRuntime},
 * so whichever backend jar is on their class path serves.
 */
package dev.keel.spark;
