/**
 * Java classes generated at build time from {@code src/main/proto/onnx.proto} (the ONNX IR schema with the
 * spec's field numbers); Keel reads initializers and writes graphs with them. Only this package-info is source.
 */
package dev.keel.onnx.internal.proto;
