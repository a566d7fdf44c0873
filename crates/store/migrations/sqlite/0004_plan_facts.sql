-- What involvement is measured from, per plan version, kept up to date on the same transaction
-- as every change to the plan, so the team dashboard reads one row per plan.
CREATE TABLE plan_facts (
    plan_id TEXT PRIMARY KEY NOT NULL REFERENCES care_plans(id),
    contributions TEXT NOT NULL,
    stances TEXT NOT NULL,
    goals BIGINT NOT NULL
);
