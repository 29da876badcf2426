/** Keel's ONNX Runtime backend: the provider registered with ServiceLoader and its engine-specific implementations. */
package dev.keel.onnx.internal;
