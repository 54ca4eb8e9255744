-- 0001: ingest log, participants, treadmill sessions/segments/samples, scored pain.
-- Raw tables hold exactly what the parsers produced, in SI units and UTC, plus lineage
-- (source_sha256 joins to raw_ingest_log).

create sequence ingest_attempt_seq start 1;

create table raw_ingest_log (
    attempt_id bigint primary key default nextval('ingest_attempt_seq'),
    path varchar not null,
    sha256 varchar not null,
    format varchar,
    status varchar not null check (status in ('loaded', 'duplicate', 'rejected')),
    rows_json varchar,
    error varchar,
    error_position varchar,
    toolkit_version varchar not null,
    ingested_at timestamptz not null
);

create table raw_participants (
    participant_id varchar primary key,
    arm varchar not null,
    condition varchar not null,
    sex varchar,
    age double,
    bmi double,
    enrolled_on date not null,
    site varchar,
    timezone varchar not null,
    prescribed_direction varchar check (prescribed_direction in ('backward', 'forward')),
    prescribed_minutes_per_week double,
    source_sha256 varchar not null
);

create table raw_treadmill_sessions (
    participant_id varchar not null,
    session_id varchar not null,
    started_at timestamptz not null,
    duration_s double not null,
    distance_m double,
    source varchar not null,
    device varchar,
    source_sha256 varchar not null,
    primary key (participant_id, session_id)
);

create table raw_treadmill_segments (
    participant_id varchar not null,
    session_id varchar not null,
    segment integer not null,
    direction varchar not null check (direction in ('backward', 'forward', 'unknown')),
    started_at timestamptz not null,
    duration_s double not null,
    distance_m double,
    mean_speed_mps double,
    incline_pct double,
    source_sha256 varchar not null,
    primary key (participant_id, session_id, segment)
);

-- No key here on purpose: an index on hundreds of millions of samples costs more than it
-- protects; the session key above already makes a second load of a session fail.
create table raw_treadmill_samples (
    participant_id varchar not null,
    session_id varchar not null,
    recorded_at timestamptz not null,
    speed_mps double,
    distance_m double,
    incline_pct double,
    heart_rate_bpm double,
    cadence_spm double,
    direction varchar check (direction in ('backward', 'forward', 'unknown')),
    source_sha256 varchar not null
);

create table raw_pain_scores (
    participant_id varchar not null,
    measured_at timestamptz not null,
    instrument varchar not null,
    score double not null,
    visit varchar,
    source_sha256 varchar not null,
    primary key (participant_id, instrument, measured_at)
);
