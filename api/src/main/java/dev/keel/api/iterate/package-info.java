/**
 * Iteration and refinement: the model registry (immutable versions with lineage, aliases with an append-only
 * history, events a serving host follows) and the durable feedback store the retraining loop reads from.
 * The implementation lives in the {@code keel-registry} module (SQLite or PostgreSQL); hosts reach it through
 * {@code KeelRuntime.builder().registry(...)} or {@code registry:NAME@ALIAS} model references.
 */
package dev.keel.api.iterate;
