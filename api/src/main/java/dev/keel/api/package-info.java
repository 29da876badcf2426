/**
 * Keel's stable, engine-free API: the lifecycle interfaces ({@link dev.keel.api.train.Pretrainer},
 * {@link dev.keel.api.adapt.Adapter}, {@link dev.keel.api.infer.InferenceSession},
 * {@link dev.keel.api.monitor.Monitor}), the value types they exchange, and the exception hierarchy
 * rooted at {@link dev.keel.api.KeelException}. Host applications compile against this package and a
 * wiring module only; engines come in as backends at run time.
 *
 * <p><b>What to import.</b> A host depends on {@code dev.keel:keel-runtime} (versions from the
 * {@code dev.keel:keel-bom} import) and imports the types it uses from {@code dev.keel.api} and its packages
 * ({@code dev.keel.api.infer.InferenceSession}, {@code dev.keel.api.train.PretrainSpec},
 * {@code dev.keel.api.adapt.AdaptationSpec}, {@code dev.keel.api.monitor.Feedback}, ...), and the entry points
 * from {@code dev.keel.runtime} ({@code Keel}, {@code KeelRuntime}); monitors come from {@code dev.keel.monitors}
 * ({@code MonitorHub}). Engines are run-time dependencies ({@code keel-backend-onnx}, {@code keel-backend-djl},
 * {@code keel-backend-tf}); no host code imports them.
 *
 * <p><b>Documentation.</b> The README's "Quick start for a host application" has a complete {@code pom.xml} and
 * a complete program for each stage (the {@code samples/host} module); {@code docs/api.md} says what the API
 * promises and how stable each part is; {@code docs/adaptation.md} and {@code docs/iteration.md} cover
 * fine-tuning and the registry. All are in the Keel repository.
 */
package dev.keel.api;
