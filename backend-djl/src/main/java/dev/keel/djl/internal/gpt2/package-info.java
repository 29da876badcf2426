/**
 * The GPT-2 family on DJL's PyTorch engine: the model written as DJL blocks with Hugging Face's tensor names
 * and layouts, nanoGPT's pre-training recipe with exact resume, and the inference session (sampling with a
 * key/value cache, evaluation, raw logits for cross-backend parity).
 */
package dev.keel.djl.internal.gpt2;
