-- The inference log and the feedback joined to it (issue 10, second half), beside the registry's tables when
-- they share a database. Portable SQL: the same script runs on SQLite and PostgreSQL. Times are epoch
-- milliseconds (BIGINT); lists and tags are JSON documents in TEXT. Keys are assigned as MAX + 1 under the
-- component's write lock (Database.write).

-- One row per captured call. inputs_json holds the texts after the redaction hook.
CREATE TABLE keel_capture_calls (
    seq               BIGINT  NOT NULL PRIMARY KEY,
    id                TEXT    NOT NULL UNIQUE,
    at                BIGINT  NOT NULL,
    model             TEXT,
    version           TEXT,
    backend           TEXT,
    device            TEXT,
    operation         TEXT    NOT NULL,
    latency_ns        BIGINT  NOT NULL,
    input_tokens      BIGINT  NOT NULL,
    output_tokens     BIGINT  NOT NULL,
    inputs_json       TEXT    NOT NULL,
    outputs_json      TEXT    NOT NULL,
    confidences_json  TEXT    NOT NULL,
    error             TEXT,
    tags_json         TEXT    NOT NULL,
    recorded_at       BIGINT  NOT NULL
);

CREATE INDEX keel_capture_calls_at ON keel_capture_calls (at);
CREATE INDEX keel_capture_calls_model ON keel_capture_calls (model, version, seq);

-- Feedback is kept whether or not its call is in the log (never captured, sampled out, expired): the join is
-- made when it is read, so feedback that arrives before its call is written joins it later.
CREATE TABLE keel_capture_feedback (
    seq           BIGINT  NOT NULL PRIMARY KEY,
    inference_id  TEXT    NOT NULL,
    call_id       TEXT    NOT NULL,
    item          INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    value         TEXT,
    score         DOUBLE PRECISION,
    given_at      BIGINT  NOT NULL,
    recorded_at   BIGINT  NOT NULL
);

CREATE INDEX keel_capture_feedback_call ON keel_capture_feedback (call_id);
CREATE INDEX keel_capture_feedback_given ON keel_capture_feedback (given_at, seq);

-- Every training-data export: what it holds (the manifest) and its file's sha-256, for lineage.
CREATE TABLE keel_capture_exports (
    seq            BIGINT  NOT NULL PRIMARY KEY,
    at             BIGINT  NOT NULL,
    file           TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    row_count      BIGINT  NOT NULL,
    manifest_json  TEXT    NOT NULL
);
