-- Patient-reported measures (PHQ-9, GAD-7, cocare involvement), answers kept with their score.
CREATE TABLE measure_responses (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    questionnaire TEXT NOT NULL,
    answers TEXT NOT NULL,
    total BIGINT NOT NULL,
    band TEXT NOT NULL,
    safety_follow_up BIGINT NOT NULL,
    taken_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX measure_responses_person ON measure_responses (person_id, taken_at);
