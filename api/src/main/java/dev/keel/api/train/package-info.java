/**
 * Pre-training: the {@link dev.keel.api.train.Pretrainer} interface, the training configuration shared
 * with adaptation, and the progress events every training run reports.
 */
package dev.keel.api.train;
