-- int_segment_weeks: one row per session segment, with the ISO week (participant's local
-- calendar, Monday start) in which its session started.
with segments as (
    select * from raw_treadmill_segments
),

session_headers as (
    select participant_id, session_id, started_at as session_started_at
    from raw_treadmill_sessions
),

participants as (
    select participant_id, timezone from raw_participants
),

final as (
    select
        segments.participant_id,
        segments.session_id,
        segments.segment,
        segments.direction,
        segments.duration_s,
        segments.distance_m,
        cast(
            date_trunc('week', session_headers.session_started_at at time zone participants.timezone)
            as date
        ) as week_start
    from segments
    inner join session_headers using (participant_id, session_id)
    inner join participants using (participant_id)
)

select * from final
