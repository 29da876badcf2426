/**
 * A round's data: labelled rows with their source and weight, the seeded stratified split of new data,
 * the replay sample of the champion's data, the checks run before training (empty or single-class sets,
 * unknown labels, leakage of evaluation rows), and bias remediation by reweighing and counterfactual data
 * augmentation; for gpt2 language models, text cut into whole blocks that are split, replayed and checked for
 * leakage ({@link dev.keel.iterate.data.TextBlocks}).
 */
package dev.keel.iterate.data;
