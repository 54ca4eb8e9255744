-- weekly_progression: treadmill speed and incline of every participant, walking direction
-- (backward or forward) and intervention week with sessions. speed_mps is distance over time
-- (the duration-weighted mean speed) and incline_pct the duration-weighted mean incline, each
-- over the segments that recorded it (null, not zero, when none did); minutes counts every
-- segment. Segments of unknown direction and sessions outside the intervention are left out.
with segments as (
    select * from sessions
    where direction in ('backward', 'forward') and study_week is not null
),

final as (
    select
        participant_id,
        direction,
        study_week,
        sum(distance_m)
            / sum(duration_s) filter (where distance_m is not null) as speed_mps,
        sum(incline_pct * duration_s)
            / sum(duration_s) filter (where incline_pct is not null) as incline_pct,
        sum(duration_s) / 60.0 as minutes
    from segments
    group by participant_id, direction, study_week
)

select * from final
