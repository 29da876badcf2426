/**
 * Iteration plumbing that needs storage: the durable feedback store (SQLite) the retraining loop reads.
 */
package dev.keel.runtime.iterate;
