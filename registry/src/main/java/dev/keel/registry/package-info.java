/**
 * Keel's model registry on SQLite or PostgreSQL: {@link dev.keel.registry.JdbcModelRegistry} (immutable
 * versions with per-file hashes, lineage from keel.json, aliases with history, rollback, events), its
 * artifact store, and the ServiceLoader provider the runtime uses for {@code registry:} model references.
 */
package dev.keel.registry;
