/**
 * Iteration and refinement: the model registry (versions, lineage, promotion, rollback) and the durable
 * feedback store the retraining loop reads from.
 */
package dev.keel.api.iterate;
