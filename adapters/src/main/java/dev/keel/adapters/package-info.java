/**
 * Engine-neutral pieces of adaptation: label sets and labelled data for classification, metrics (accuracy,
 * macro-F1, confusion matrix, calibration error), class weights, early stopping, a task head trained in
 * plain Java over any backend's {@link dev.keel.api.infer.InferenceSession#embed embeddings} (so ONNX,
 * which cannot train, still gets a classifier), LoRA adapter files in Hugging Face PEFT's layout and their
 * merge into a base, and the rules for opening an adapted model folder.
 */
package dev.keel.adapters;
