-- 0004: the quarantine table and the ingest statuses `salvaged` and `removed`.
-- raw_quarantine keeps device and sensor values that a plausibility rule
-- (toolkit/instruments/plausibility.toml) keeps out of every view: a 1,021-step Fitbit minute,
-- a record dated after the export was written. One row per quarantined value (a file's
-- rows go with its source_sha256; one value per file, participant, measure and time).
create table raw_quarantine (
    participant_id varchar not null,
    measure varchar not null,
    value double,
    recorded_at timestamptz not null,
    reason varchar not null,
    source_sha256 varchar not null
);

-- raw_ingest_log's status check gains `salvaged` (a damaged device file whose complete records
-- before the damage were kept: error says what was lost, error_position its byte) and
-- `removed`. DuckDB cannot alter a check constraint, so the table is rebuilt with its rows.
create table raw_ingest_log_v4 (
    attempt_id bigint primary key default nextval('ingest_attempt_seq'),
    path varchar not null,
    sha256 varchar not null,
    format varchar,
    status varchar not null
        check (status in ('loaded', 'salvaged', 'duplicate', 'rejected', 'removed')),
    rows_json varchar,
    error varchar,
    error_position varchar,
    toolkit_version varchar not null,
    ingested_at timestamptz not null
);
insert into raw_ingest_log_v4 select * from raw_ingest_log;
drop table raw_ingest_log;
alter table raw_ingest_log_v4 rename to raw_ingest_log;
