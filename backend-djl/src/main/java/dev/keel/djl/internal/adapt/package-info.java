/**
 * The DJL backend's {@link dev.keel.api.adapt.Adapter}: dispatches a fine-tuning run by model family and
 * method to the bert classifier trainer (full, LoRA), to the engine-neutral Java head over this backend's
 * embeddings (head), or to the gpt2 training loop (causal-lm, prompt-response).
 */
package dev.keel.djl.internal.adapt;
