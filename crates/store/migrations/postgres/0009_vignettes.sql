-- Vignettes and clinician decision studies: the review panel and its approval rule, vignettes
-- with their versions (story, quasi-identifying facts, the k check's result), comments anchored
-- to a passage, approvals by version (so an edit after approval starts again), decision studies
-- (their definition fixed when they open), single-use invitations (token hashes only) and the
-- answers given through them.
CREATE TABLE vignette_panel (
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    category TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (organisation_id, account_id)
);

CREATE TABLE vignette_rules (
    organisation_id TEXT PRIMARY KEY NOT NULL REFERENCES organisations(id),
    rule_json TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE vignettes (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    cohort_id TEXT,
    current_version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX vignettes_organisation ON vignettes (organisation_id, created_at);

CREATE TABLE vignette_versions (
    vignette_id TEXT NOT NULL REFERENCES vignettes(id),
    version BIGINT NOT NULL,
    body_json TEXT NOT NULL,
    note TEXT NOT NULL,
    -- The k check's result as JSON (counts already disclosure-controlled), or NULL when it could
    -- not run (no records imported).
    check_json TEXT,
    check_passes BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (vignette_id, version)
);

CREATE TABLE vignette_comments (
    id TEXT PRIMARY KEY NOT NULL,
    vignette_id TEXT NOT NULL REFERENCES vignettes(id),
    version BIGINT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    category TEXT NOT NULL,
    passage TEXT NOT NULL,
    body TEXT NOT NULL,
    suggestion TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX vignette_comments_vignette ON vignette_comments (vignette_id, created_at);

CREATE TABLE vignette_approvals (
    vignette_id TEXT NOT NULL REFERENCES vignettes(id),
    version BIGINT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    category TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (vignette_id, version, account_id)
);

CREATE TABLE studies (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    definition_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    opened_at TEXT,
    closed_at TEXT
);
CREATE INDEX studies_organisation ON studies (organisation_id, created_at);

CREATE TABLE study_invitations (
    study_id TEXT NOT NULL REFERENCES studies(id),
    number BIGINT NOT NULL,
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    started_at TEXT,
    submitted_at TEXT,
    PRIMARY KEY (study_id, number)
);

CREATE TABLE study_responses (
    study_id TEXT NOT NULL REFERENCES studies(id),
    number BIGINT NOT NULL,
    vignette_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (study_id, number, vignette_id, item_id),
    FOREIGN KEY (study_id, number) REFERENCES study_invitations(study_id, number)
);

-- Interviews about a vignette (semi-structured interview transcripts in a workbench project),
-- linked by the researcher; the words stay in the workbench, seen by its members only.
CREATE TABLE vignette_interviews (
    vignette_id TEXT NOT NULL REFERENCES vignettes(id),
    project_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (vignette_id, project_id, source_id)
);
