/**
 * Keel's TensorFlow Java backend: the provider registered with ServiceLoader; GPT-2 written as TensorFlow ops
 * over Keel's portable folder, served with a key/value cache, pre-trained with {@code Graph.addGradients} and
 * AdamW in the graph, and exported as a SavedModel. CPU only: GPU natives are not verified for this build.
 */
package dev.keel.tf.internal;
