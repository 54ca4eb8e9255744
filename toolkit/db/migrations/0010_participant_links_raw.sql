-- 0010: which participant a device or wearable file belongs to is derived in the views
-- (int_source_participants), from raw data, so ingesting a corrected manifest re-links rows
-- already stored and removing it links them back.
-- raw_participant_links: one row per wearable_manifest.csv row, as written; manifest_path and
-- manifest_folder are stable locations (absolute path, or /abs/archive.zip!/member);
-- file_like is the `file` pattern as a SQL LIKE pattern (escape '^'). No key: every version of
-- a manifest is kept, the views use the current one.
create table raw_participant_links (
    manifest_path varchar not null,
    manifest_folder varchar not null,
    line bigint not null,
    file varchar not null,
    file_like varchar not null,
    linked_participant_id varchar not null,
    source_sha256 varchar not null
);

-- raw_source_links: one row per file linked to a participant at ingest (FIT, TCX, vendor CSV
-- without a participant column, Apple Health, Fitbit, Garmin Connect, wearable CSV without a
-- participant column): its location (a zip member's archive), file name, the participant its
-- path names by the folder convention (null when none or several) and the participant its rows
-- were stored under. Files stored before this version have no row and keep their link.
create table raw_source_links (
    source_path varchar not null,
    source_file varchar not null,
    convention_participant_id varchar,
    participant_id varchar not null,
    source_sha256 varchar not null
);
