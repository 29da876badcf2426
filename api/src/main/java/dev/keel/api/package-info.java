/**
 * Keel's stable, engine-free API: the lifecycle interfaces ({@link dev.keel.api.train.Pretrainer},
 * {@link dev.keel.api.adapt.Adapter}, {@link dev.keel.api.infer.InferenceSession},
 * {@link dev.keel.api.monitor.Monitor}), the value types they exchange, and the exception hierarchy
 * rooted at {@link dev.keel.api.KeelException}. Host applications compile against this package and a
 * wiring module only; engines come in as backends at run time.
 */
package dev.keel.api;
