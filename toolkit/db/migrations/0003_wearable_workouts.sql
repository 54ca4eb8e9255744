-- 0003: workouts from wearable exports (Apple Health Workout elements and the like).
-- One row per workout; an indoor walking workout is how a watch records treadmill walking.
-- raw_wearable_samples keeps no database key on purpose (see 0001 on sample tables); the
-- loader de-duplicates its rows on the canonical key instead (toolkit/ingest/canonical.py).

create table raw_wearable_workouts (
    participant_id varchar not null,
    started_at timestamptz not null,
    ended_at timestamptz not null,
    activity varchar not null,
    indoor boolean,
    duration_s double not null,
    distance_m double,
    source varchar not null,
    device varchar,
    source_sha256 varchar not null,
    primary key (participant_id, source, activity, started_at)
);
