-- A second component's migration (as the inference log will have), in the registry's database.
CREATE TABLE keel_testlog_calls (id VARCHAR(64) NOT NULL PRIMARY KEY, at BIGINT NOT NULL);
