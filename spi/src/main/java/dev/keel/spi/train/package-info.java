/**
 * Engine-neutral pieces of training runs that every trainer shares, so that the Java API and the command
 * line mean the same thing by the same setting: how long a run lasts and how its warmup fits; and the hook
 * through which a trainer takes part in a data-parallel run ({@link dev.keel.spi.train.DataParallelAdapter},
 * {@link dev.keel.spi.train.ParameterSync}).
 */
package dev.keel.spi.train;
