/** Fuzz tests of the ONNX importer (Jazzer): corpus replay in every build, searches with JAZZER_FUZZ=1. */
package dev.keel.onnx.internal.fuzz;
