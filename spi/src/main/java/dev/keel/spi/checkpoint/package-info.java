/**
 * Portable checkpoints: the Hugging Face style model folder, safetensors reading (memory-mapped) and
 * writing, Keel's metadata, and atomic file writes that survive a crash at any point.
 */
package dev.keel.spi.checkpoint;
