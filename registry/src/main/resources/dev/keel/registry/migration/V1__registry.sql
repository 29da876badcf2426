-- The model registry's schema (issue 10). Portable SQL: the same script runs on SQLite and PostgreSQL.
-- Times are epoch milliseconds (BIGINT); JSON documents are TEXT. Keys are assigned as MAX + 1 under the
-- registry's write lock (Database.write), so versions and event sequence numbers are dense.

CREATE TABLE keel_registry_versions (
    name            VARCHAR(128) NOT NULL,
    version         INTEGER      NOT NULL,
    sha256          CHAR(64)     NOT NULL,
    size_bytes      BIGINT       NOT NULL,
    kind            VARCHAR(32)  NOT NULL,
    parent_version  INTEGER,
    lineage_json    TEXT         NOT NULL,
    metrics_json    TEXT         NOT NULL,
    tags_json       TEXT         NOT NULL,
    model_card      TEXT         NOT NULL,
    registered_by   TEXT         NOT NULL,
    reason          TEXT,
    registered_at   BIGINT       NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE INDEX keel_registry_versions_sha ON keel_registry_versions (sha256);

CREATE TABLE keel_registry_files (
    name        VARCHAR(128) NOT NULL,
    version     INTEGER      NOT NULL,
    path        TEXT         NOT NULL,
    sha256      CHAR(64)     NOT NULL,
    size_bytes  BIGINT       NOT NULL,
    PRIMARY KEY (name, version, path),
    FOREIGN KEY (name, version) REFERENCES keel_registry_versions (name, version)
);

CREATE TABLE keel_registry_aliases (
    name        VARCHAR(128) NOT NULL,
    alias       VARCHAR(128) NOT NULL,
    version     INTEGER      NOT NULL,
    updated_at  BIGINT       NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES keel_registry_versions (name, version)
);

-- Append-only: rows are inserted, never updated or deleted. It is the alias history and the event feed.
CREATE TABLE keel_registry_events (
    seq               BIGINT       NOT NULL PRIMARY KEY,
    type              VARCHAR(32)  NOT NULL,
    name              VARCHAR(128) NOT NULL,
    version           INTEGER,
    alias             VARCHAR(128),
    previous_version  INTEGER,
    reason            TEXT,
    actor             TEXT         NOT NULL,
    at                BIGINT       NOT NULL
);

CREATE INDEX keel_registry_events_alias ON keel_registry_events (name, alias, seq);

-- Settings shared by every process that opens the registry (the artifact root of a PostgreSQL registry).
CREATE TABLE keel_registry_settings (
    key    VARCHAR(128) NOT NULL PRIMARY KEY,
    value  TEXT         NOT NULL
);
