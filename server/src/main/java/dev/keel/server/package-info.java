/**
 * {@code keel serve}: an HTTP inference server over the Keel runtime, OpenAI-compatible ({@code /v1/models},
 * {@code /v1/embeddings}, {@code /v1/completions}, {@code /v1/chat/completions}) with Keel's own endpoints
 * (classification, feedback, Prometheus metrics, the monitor report, health), continuous batching of
 * generation over any session that offers {@link dev.keel.spi.infer.StepDecoding}, per-model admission
 * queues (429 when full), API keys, TLS and graceful draining. {@link dev.keel.server.KeelServer} is the
 * entry point for hosts and for the CLI.
 */
package dev.keel.server;
