/**
 * Deployment: {@link dev.keel.api.infer.InferenceSession} and its request and result types for
 * generation (streamed), embedding, classification and evaluation.
 */
package dev.keel.api.infer;
