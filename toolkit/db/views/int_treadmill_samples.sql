-- int_treadmill_samples: raw_treadmill_samples with each row's participant as linked now
-- (int_source_participants: the rows of a file linked at ingest follow the current manifests;
-- rows of files that name their participant, e.g. a treadmill CSV's participant_id column, keep
-- it). Grain: one row per raw_treadmill_samples row.
with stored as (
    select * from raw_treadmill_samples
),

links as (
    select source_sha256, participant_id from int_source_participants
),

final as (
    select
        coalesce(links.participant_id, stored.participant_id) as participant_id,
        stored.session_id,
        stored.recorded_at,
        stored.speed_mps,
        stored.distance_m,
        stored.incline_pct,
        stored.heart_rate_bpm,
        stored.cadence_spm,
        stored.direction,
        stored.source_sha256
    from stored
    left join links on links.source_sha256 = stored.source_sha256
)

select * from final
