-- 0002: instrument reference, study settings, saved cohorts, wearable data, questionnaire items.

create table ref_instruments (
    instrument varchar primary key,
    label varchar not null,
    scale_min double not null,
    scale_max double not null,
    higher_is_better boolean not null,
    mcid_points double,
    mcid_percent double,
    loinc varchar,
    reference varchar
);

create table study_settings (
    key varchar primary key,
    value double not null,
    description varchar
);

insert into study_settings values
    ('study_weeks', 12, 'Length of the intervention in weeks, from the enrolment week'),
    ('baseline_days_before', 30, 'Baseline: last score from this many days before enrolment ...'),
    ('baseline_days_after', 0, '... up to this many days after enrolment (day 0)'),
    ('follow_up_day', 84, 'Follow-up: the score closest to this study day ...'),
    ('follow_up_window_days', 14, '... within plus or minus this many days');

create table saved_cohorts (
    name varchar primary key,
    definition_json varchar not null,
    saved_at timestamptz not null
);

create table raw_wearable_daily (
    participant_id varchar not null,
    day date not null,
    source varchar not null,
    steps bigint,
    distance_m double,
    walking_speed_mps double,
    asymmetry_pct double,
    resting_hr double,
    active_minutes double,
    source_sha256 varchar not null,
    primary key (participant_id, day, source)
);

create table raw_wearable_samples (
    participant_id varchar not null,
    metric varchar not null,
    start_at timestamptz not null,
    end_at timestamptz not null,
    value double not null,
    unit varchar not null,
    source varchar not null,
    device varchar,
    source_sha256 varchar not null
);

create table raw_questionnaire_items (
    participant_id varchar not null,
    measured_at timestamptz not null,
    instrument varchar not null,
    item varchar not null,
    value double,
    visit varchar,
    source_sha256 varchar not null,
    primary key (participant_id, instrument, measured_at, item)
);
