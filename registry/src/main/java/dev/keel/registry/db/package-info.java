/**
 * The database layer shared by Keel's stores (the model registry now, the inference log and feedback next):
 * SQLite or PostgreSQL behind one {@link dev.keel.registry.db.Database}, per-component Flyway migrations and
 * history tables, and serialised write transactions.
 */
package dev.keel.registry.db;
