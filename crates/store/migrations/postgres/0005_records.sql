-- Records imports and cohort definitions. The records themselves live in the analytic store
-- (a Parquet dataset); the database keeps who imported what, when, and how it went, and the
-- saved, versioned cohort definitions.
CREATE TABLE record_imports (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    outcome TEXT NOT NULL,
    version TEXT,
    people BIGINT NOT NULL,
    events BIGINT NOT NULL,
    rows_read BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    summary TEXT NOT NULL
);

CREATE INDEX record_imports_by_organisation ON record_imports (organisation_id, started_at);

CREATE TABLE cohorts (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE cohort_versions (
    cohort_id TEXT NOT NULL REFERENCES cohorts(id),
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (cohort_id, version)
);
