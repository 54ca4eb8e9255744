-- sessions: one row per treadmill session segment (lap or interval).
-- Key: participant_id, session_id, segment. direction is backward, forward or unknown.
with segments as (
    select * from raw_treadmill_segments
),

session_headers as (
    select participant_id, session_id, started_at as session_started_at, source, device
    from raw_treadmill_sessions
),

final as (
    select
        segments.participant_id,
        segments.session_id,
        segments.segment,
        segments.direction,
        segments.started_at,
        segments.duration_s,
        segments.distance_m,
        segments.mean_speed_mps,
        segments.incline_pct,
        session_headers.session_started_at,
        session_headers.source,
        session_headers.device
    from segments
    inner join session_headers using (participant_id, session_id)
)

select * from final
