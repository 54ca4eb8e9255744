-- exposure_weeks: weekly_exposure with each participant's arm and condition (the analysis
-- frame toolkit.analysis_frames.exposure_frame returns).
with weeks as (
    select * from weekly_exposure
),

participants as (
    select participant_id, arm, condition from raw_participants
),

final as (
    select
        weeks.participant_id,
        participants.arm,
        participants.condition,
        weeks.week_start,
        weeks.study_week,
        weeks.retro_minutes,
        weeks.forward_minutes,
        weeks.unknown_minutes,
        weeks.retro_distance_m,
        weeks.sessions,
        weeks.prescribed_minutes_per_week,
        weeks.adherence
    from weeks
    inner join participants using (participant_id)
)

select * from final
