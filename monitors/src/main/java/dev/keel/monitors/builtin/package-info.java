/**
 * The monitors Keel ships: latency and throughput, accuracy from feedback with a confidence-based estimate,
 * data drift of input descriptors and outputs, embedding drift, group bias with counterfactual probes, user
 * experience, and generation quality signals. The model-free ones are registered for ServiceLoader; the
 * ones that need a model (embedding drift, self-perplexity) are built with one.
 */
package dev.keel.monitors.builtin;
