-- quarantine: one row per device or sensor value kept out of every view by a plausibility rule
-- (toolkit/instruments/plausibility.toml). Key: source_sha256, participant_id, measure,
-- recorded_at. source_sha256 joins to ingest_log.sha256; path names the file.
with quarantined as (
    select
        coalesce(links.participant_id, stored.participant_id) as participant_id,
        stored.measure,
        stored.value,
        stored.recorded_at,
        stored.reason,
        stored.source_sha256
    from raw_quarantine as stored
    left join int_source_participants as links on links.source_sha256 = stored.source_sha256
),

files as (
    select sha256, min(path) as path
    from raw_ingest_log
    where status in ('loaded', 'salvaged')
    group by sha256
),

final as (
    select
        quarantined.participant_id,
        quarantined.source_sha256,
        quarantined.measure,
        quarantined.value,
        quarantined.recorded_at,
        quarantined.reason,
        files.path
    from quarantined
    left join files on files.sha256 = quarantined.source_sha256
)

select * from final
