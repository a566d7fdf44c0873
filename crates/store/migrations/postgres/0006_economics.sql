-- Economics: unit-cost tables (each version a whole table as CSV, with its sources) and saved
-- pathway evaluations (each version a cocare.econ/1 specification naming its cohort and table).
CREATE TABLE unit_cost_tables (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE unit_cost_versions (
    table_id TEXT NOT NULL REFERENCES unit_cost_tables(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (table_id, version)
);

CREATE TABLE econ_evaluations (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE econ_evaluation_versions (
    evaluation_id TEXT NOT NULL REFERENCES econ_evaluations(id),
    version BIGINT NOT NULL,
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (evaluation_id, version)
);
