-- 0008: the ingest status `removed` (`retrowalk remove`, `ingest --replace`): an attempt that
-- took out everything a loaded file had contributed. DuckDB cannot alter a check constraint,
-- so the table is rebuilt with its rows (`salvaged` is the status of a damaged device file
-- whose complete records were kept).
create table raw_ingest_log_v8 (
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
insert into raw_ingest_log_v8 select * from raw_ingest_log;
drop table raw_ingest_log;
alter table raw_ingest_log_v8 rename to raw_ingest_log;
