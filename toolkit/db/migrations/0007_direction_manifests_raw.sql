-- 0007: direction manifests are raw data, and walking directions of device laps are derived
-- from them in the views (sessions, treadmill_samples), so a corrected manifest relabels what
-- is already stored.
-- raw_direction_rules: one row per manifest row, as written (directions normalised to
-- backward/forward); manifest_path and manifest_folder are stable locations (absolute path, or
-- /abs/archive.zip!/member for a zip member); file_like is the `file` pattern as a SQL LIKE
-- pattern (escape '\'). No key: every version of a manifest is kept, the views use the latest.
create table raw_direction_rules (
    manifest_path varchar not null,
    manifest_folder varchar not null,
    line bigint not null,
    file varchar,
    file_like varchar,
    session_id varchar,
    linked_participant_id varchar,
    lap integer,
    start_s double,
    end_s double,
    direction varchar check (direction in ('backward', 'forward')),
    plan varchar,
    source_sha256 varchar not null
);

-- source_path: where the session's file lived (same stable form), source_file its name (a
-- manifest's `file` pattern matches the path relative to the manifest, or the name); labelling: how its segments
-- got their direction (export: the file says or nothing does; laps: device laps labelled by
-- the stored manifests in the views; intervals: cut by a manifest's time ranges or plan at
-- ingest). Sessions stored before this version keep their labels as they were (export).
alter table raw_treadmill_sessions add column source_path varchar;
alter table raw_treadmill_sessions add column source_file varchar;
alter table raw_treadmill_sessions add column labelling varchar default 'export';
