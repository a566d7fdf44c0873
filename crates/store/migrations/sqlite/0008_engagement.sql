-- Stakeholder engagement and funding change: the stakeholder register (people and
-- organisations, categories, groups, contact preferences, accessibility needs), engagement
-- activities with who was invited and who came, proposals followed to what happened ("you
-- said, we did"), actions with owners and due dates, ratings on the three facets of
-- engagement, payments for lived-experience involvement, funding changes with their realist
-- notes, and outcome indicators over time.
CREATE TABLE stakeholders (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    category TEXT NOT NULL,
    groups TEXT NOT NULL,
    contact_preference TEXT NOT NULL,
    accessibility_needs TEXT NOT NULL,
    merged_into TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX stakeholders_organisation ON stakeholders (organisation_id, name);

CREATE TABLE engagement_activities (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    purpose TEXT NOT NULL,
    held_on TEXT NOT NULL,
    minutes TEXT NOT NULL,
    decisions TEXT NOT NULL,
    funding_change_id TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX engagement_activities_date ON engagement_activities (organisation_id, held_on);

CREATE TABLE engagement_attendance (
    activity_id TEXT NOT NULL REFERENCES engagement_activities(id),
    stakeholder_id TEXT NOT NULL REFERENCES stakeholders(id),
    invited BIGINT NOT NULL,
    attended BIGINT NOT NULL,
    PRIMARY KEY (activity_id, stakeholder_id)
);

CREATE TABLE engagement_proposals (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES engagement_activities(id),
    raised_by TEXT REFERENCES stakeholders(id),
    text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'done', 'declined')),
    response TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE engagement_actions (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES engagement_activities(id),
    proposal_id TEXT REFERENCES engagement_proposals(id),
    text TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_on TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE engagement_ratings (
    activity_id TEXT NOT NULL REFERENCES engagement_activities(id),
    stakeholder_id TEXT NOT NULL REFERENCES stakeholders(id),
    shared_purpose BIGINT NOT NULL,
    participation BIGINT NOT NULL,
    dialogue BIGINT NOT NULL,
    comment TEXT NOT NULL,
    rated_at TEXT NOT NULL,
    PRIMARY KEY (activity_id, stakeholder_id)
);

CREATE TABLE engagement_payments (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    stakeholder_id TEXT NOT NULL REFERENCES stakeholders(id),
    activity_id TEXT REFERENCES engagement_activities(id),
    paid_on TEXT NOT NULL,
    units TEXT NOT NULL,
    quantity_hundredths BIGINT NOT NULL,
    rate_pence BIGINT NOT NULL,
    expenses_pence BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE funding_changes (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    programme TEXT NOT NULL,
    kind TEXT NOT NULL,
    amount_before_pence BIGINT NOT NULL,
    amount_after_pence BIGINT NOT NULL,
    effective_on TEXT NOT NULL,
    context TEXT NOT NULL,
    mechanisms TEXT NOT NULL,
    outcomes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE outcome_indicators (
    id TEXT PRIMARY KEY NOT NULL,
    funding_change_id TEXT NOT NULL REFERENCES funding_changes(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('system', 'service_user')),
    unit TEXT NOT NULL,
    higher_is_better BIGINT NOT NULL,
    series TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Links a participant follows to rate an activity themselves (no account needed): only a hash
-- of the token is kept, and a link is used once.
CREATE TABLE engagement_rating_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES engagement_activities(id),
    stakeholder_id TEXT NOT NULL REFERENCES stakeholders(id),
    created_at TEXT NOT NULL,
    used_at TEXT
);
