/**
 * Engine-neutral inference pieces every backend shares, so that the same checkpoint gives the same
 * results on every engine: sampling, the generation loop with streaming and stop strings, block-wise
 * evaluation, the mean pooling of a decoder-only model's hidden states into embeddings, and inference events.
 */
package dev.keel.spi.infer;
