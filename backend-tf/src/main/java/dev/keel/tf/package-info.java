/** Keel's TensorFlow Java backend: the provider registered with ServiceLoader and its engine-specific implementations. */
package dev.keel.tf;
