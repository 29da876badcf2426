/** Keel's DJL on PyTorch backend: the provider registered with ServiceLoader and its engine-specific implementations. */
package dev.keel.djl.internal;
