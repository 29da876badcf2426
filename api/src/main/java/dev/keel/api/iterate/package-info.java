/**
 * Iteration and refinement: the model registry (immutable versions with lineage, aliases with an append-only
 * history, events a serving host follows), the inference log (what served calls saw and answered) and the
 * feedback store joined to it, which exports labelled training data the retraining loop learns from.
 * The implementation lives in the {@code keel-registry} module (SQLite or PostgreSQL); hosts reach it through
 * {@code KeelRuntime.builder().registry(...)} / {@code .capture(...)} or {@code registry:NAME@ALIAS} model references.
 */
package dev.keel.api.iterate;
