-- 0006: statistical analysis plans locked in the study (`retrowalk analyse --lock`).
-- One row per lock: the plan's sha256 and full text, when it was locked, and when outcome data
-- (questionnaire and pain files) had first been loaded at that moment (null: none yet), so a
-- report can show whether the plan was fixed before the outcome data were loaded.
create table analysis_plan_locks (
    sha256 varchar not null,
    source varchar not null,
    plan_text varchar not null,
    locked_at timestamptz not null,
    outcome_data_first_loaded_at timestamptz,
    primary key (sha256, locked_at)
);
