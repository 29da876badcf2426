/**
 * BERT (Hugging Face semantics: post-LayerNorm blocks, exact erf GELU, attention mask, token types) written
 * over DJL's PyTorch NDArrays, reading and writing {@link dev.keel.spi.checkpoint.BertLayout} names so a
 * folder imported from all-MiniLM-L6-v2, or downloaded from a model hub, loads as it is. Here too: LoRA on
 * chosen projections, the sequence-classification fine-tuning loop (full, LoRA, frozen-encoder head),
 * the inference session (mean-pooled embeddings and classification) and the backend's {@code Adapter}.
 */
package dev.keel.djl.internal.bert;
