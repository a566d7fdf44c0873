-- The qualitative workbench: projects with their members (only they see the words), coders,
-- participants (REFI-QDA cases) with attributes (variables), sources with their plain text and
-- speaker turns, codings (a selection of code points by a coder), memos, framework-matrix
-- summaries, and versioned CMO configurations with the excerpts that support or refute them.
CREATE TABLE qual_projects (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    codebook TEXT NOT NULL,
    codebook_revision BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE qual_members (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL CHECK (role IN ('owner', 'coder', 'viewer')),
    added_at TEXT NOT NULL,
    PRIMARY KEY (project_id, account_id)
);

CREATE TABLE qual_coders (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    guid TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (project_id, guid)
);

CREATE TABLE qual_variables (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    guid TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (project_id, guid)
);

-- Ids inside a project are the GUIDs REFI-QDA exchanges, kept as they come, so the same
-- project can be imported twice (a copy) and a round trip keeps every GUID: they are unique
-- within a project, not across the database.
CREATE TABLE qual_participants (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE qual_participant_values (
    project_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    variable_guid TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (project_id, participant_id, variable_guid),
    FOREIGN KEY (project_id, participant_id) REFERENCES qual_participants(project_id, id)
);

CREATE TABLE qual_sources (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    length BIGINT NOT NULL,
    turns TEXT NOT NULL,
    participant_id TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, participant_id) REFERENCES qual_participants(project_id, id)
);

CREATE TABLE qual_codings (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    selection_guid TEXT NOT NULL,
    code_guid TEXT NOT NULL,
    coder_guid TEXT NOT NULL,
    start_pos BIGINT NOT NULL,
    end_pos BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, source_id) REFERENCES qual_sources(project_id, id)
);
CREATE INDEX qual_codings_code ON qual_codings (project_id, code_guid);
CREATE INDEX qual_codings_source ON qual_codings (project_id, source_id, start_pos);
CREATE INDEX qual_codings_source_code ON qual_codings (project_id, source_id, code_guid);

CREATE TABLE qual_memos (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    id TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('project', 'source', 'code', 'selection')),
    target TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    author_guid TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX qual_memos_target ON qual_memos (project_id, target_kind, target);

CREATE TABLE qual_matrix_cells (
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    participant_id TEXT NOT NULL,
    code_guid TEXT NOT NULL,
    summary TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (project_id, participant_id, code_guid),
    FOREIGN KEY (project_id, participant_id) REFERENCES qual_participants(project_id, id)
);

CREATE TABLE qual_cmos (
    id TEXT PRIMARY KEY NOT NULL,
    project_id TEXT NOT NULL REFERENCES qual_projects(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE qual_cmo_versions (
    cmo_id TEXT NOT NULL REFERENCES qual_cmos(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (cmo_id, version)
);

-- Full-text search: FTS5 over the sources' text (kept in step by triggers; sources never change
-- their text, because codings point into it). Diacritics are kept, as PostgreSQL's 'simple'
-- configuration keeps them, so both backends find the same sources.
CREATE VIRTUAL TABLE qual_source_fts USING fts5(
    content,
    content = 'qual_sources',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER qual_sources_fts_insert AFTER INSERT ON qual_sources BEGIN
    INSERT INTO qual_source_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER qual_sources_fts_delete AFTER DELETE ON qual_sources BEGIN
    INSERT INTO qual_source_fts (qual_source_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
