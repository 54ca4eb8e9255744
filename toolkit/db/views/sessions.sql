-- sessions: treadmill session segments (laps or intervals) with their walking direction
-- (int_segment_directions: the export's, or the stored direction manifests'), their
-- session's source and place in the study calendar (int_study_days: study_day of the session
-- start, and study_week, the intervention week 1..intervention_weeks it started in, null
-- outside the intervention). A session that is a copy of another (session_copies: one
-- recording exported as FIT and TCX, or a watch's and a console's record of one walk) is left
-- out.
with segments as (
    select * from int_treadmill_segments
),

copies as (
    select participant_id, session_id from session_copies
),

session_headers as (
    select participant_id, session_id, started_at as session_started_at, source, device
    from int_treadmill_sessions
    -- a second copy of the same walking (session_copies) is not counted
    anti join copies using (participant_id, session_id)
),

directions as (
    select * from int_segment_directions
),

calendar as (
    select participant_id, event_at, study_day, intervention_week from int_study_days
),

final as (
    select
        segments.participant_id,
        segments.session_id,
        segments.segment,
        directions.direction,
        segments.started_at,
        segments.duration_s,
        segments.distance_m,
        segments.mean_speed_mps,
        segments.incline_pct,
        session_headers.session_started_at,
        session_headers.source,
        session_headers.device,
        calendar.study_day,
        calendar.intervention_week as study_week
    from segments
    inner join directions using (participant_id, session_id, segment)
    inner join session_headers using (participant_id, session_id)
    inner join calendar
        on calendar.participant_id = segments.participant_id
        and calendar.event_at = session_headers.session_started_at
)

select * from final
