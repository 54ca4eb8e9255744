-- int_treadmill_sessions: raw_treadmill_sessions with each row's participant as linked now
-- (int_source_participants: the rows of a file linked at ingest follow the current manifests;
-- rows of files that name their participant, e.g. a treadmill CSV's participant_id column, keep
-- it). Grain: one row per raw_treadmill_sessions row.
with stored as (
    select * from raw_treadmill_sessions
),

links as (
    select source_sha256, participant_id from int_source_participants
),

final as (
    select
        coalesce(links.participant_id, stored.participant_id) as participant_id,
        stored.session_id,
        stored.started_at,
        stored.duration_s,
        stored.distance_m,
        stored.source,
        stored.device,
        stored.source_path,
        stored.source_file,
        stored.labelling,
        stored.source_sha256
    from stored
    left join links on links.source_sha256 = stored.source_sha256
)

select * from final
