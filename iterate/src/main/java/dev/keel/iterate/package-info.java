/**
 * The continuous-learning loop ({@link dev.keel.iterate.ContinuousLearning}): one round resolves the champion,
 * prepares and checks the new data with a replay of the champion's, trains a challenger from the champion
 * through the runtime's adapters ({@link dev.keel.iterate.AdapterTrainer}), evaluates every gate, always
 * registers the challenger and promotes it only when every gate passes. Classifiers (head, LoRA, full) and gpt2
 * language models (causal-lm on new text, prompt-response on new pairs) iterate through the same round.
 */
package dev.keel.iterate;
