package dev.keel.registry.db;

/**
 * The databases Keel stores its memory in. Components write portable SQL (TEXT, BIGINT, INTEGER, no
 * auto-increment: keys are computed under the component's write lock) so one migration script serves
 * both; the dialect says how to take that lock and is there for the rare statement that must differ.
 */
public enum Dialect {
    /** An embedded database file: no server, one folder. Writers are serialised by BEGIN IMMEDIATE. */
    SQLITE,
    /** A server several application instances share. Writers are serialised by a transaction advisory lock. */
    POSTGRESQL
}
