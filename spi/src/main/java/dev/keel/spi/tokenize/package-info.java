/**
 * Tokenizer implementations: character and byte level (Keel's own, engine-free), Hugging Face
 * {@code tokenizer.json} through DJL's native binding, and their files in a model folder.
 */
package dev.keel.spi.tokenize;
