/**
 * Iteration plumbing that needs storage or the registry: the durable feedback store (SQLite) the retraining
 * loop reads, and sessions that follow a registry alias as it moves.
 */
package dev.keel.runtime.iterate;
