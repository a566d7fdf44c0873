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

-- Full-text search: each source's words as a stored tsvector ('simple' configuration: lower-cased
-- words, no stemming, no stop words, the same matching as SQLite's FTS5 table), kept by
-- triggers in a table of its own with a GIN index. It is derived data: backups leave it out and
-- a restore rebuilds it through the same triggers.
CREATE TABLE qual_source_words (
    project_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    words tsvector NOT NULL,
    PRIMARY KEY (project_id, source_id)
);
CREATE INDEX qual_source_words_gin ON qual_source_words USING GIN (words);

CREATE FUNCTION qual_source_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM qual_source_words WHERE project_id = OLD.project_id AND source_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO qual_source_words (project_id, source_id, words)
    VALUES (NEW.project_id, NEW.id, to_tsvector('simple', NEW.content))
    ON CONFLICT (project_id, source_id) DO UPDATE SET words = EXCLUDED.words;
    RETURN NEW;
END;
$$;
CREATE TRIGGER qual_sources_words AFTER INSERT OR UPDATE OF content OR DELETE ON qual_sources
    FOR EACH ROW EXECUTE FUNCTION qual_source_words_sync();
