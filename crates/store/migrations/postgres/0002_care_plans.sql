-- Care plans (issue 3). Each version is a row of care_plans; its contents are append-only rows,
-- so every contribution and agreement keeps its author, role and time.
CREATE TABLE care_plans (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    review_due TEXT,
    created_at TEXT NOT NULL,
    finalised_by TEXT,
    finalised_role TEXT,
    finalised_at TEXT,
    UNIQUE (person_id, version)
);

CREATE TABLE plan_contributions (
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    seq BIGINT NOT NULL,
    section TEXT NOT NULL,
    voice TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    role TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE plan_goals (
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    role TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE plan_goal_actions (
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    goal_seq BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    what TEXT NOT NULL,
    who TEXT NOT NULL,
    by_when TEXT NOT NULL,
    PRIMARY KEY (plan_id, goal_seq, seq)
);

CREATE TABLE plan_agreements (
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    seq BIGINT NOT NULL,
    section TEXT NOT NULL,
    party TEXT NOT NULL,
    stance TEXT NOT NULL,
    reason TEXT NOT NULL,
    revision BIGINT NOT NULL,
    author TEXT NOT NULL,
    role TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE plan_copies (
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    seq BIGINT NOT NULL,
    format TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE dialog_ratings (
    person_id TEXT NOT NULL REFERENCES people(id),
    taken_at TEXT NOT NULL,
    item TEXT NOT NULL,
    rating BIGINT NOT NULL,
    wants_more_help BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (person_id, taken_at, item)
);
CREATE INDEX care_plans_person ON care_plans (person_id);
CREATE INDEX care_plans_status ON care_plans (person_id, status);
