-- participant_exposure: the one exposure summary of every participant, over the participant's
-- intervention weeks (weekly_exposure: study weeks 1..study_settings.intervention_weeks, weeks
-- without sessions counting as zero). Means are per intervention week; mean_adherence is the
-- mean weekly adherence (null without a prescription, e.g. usual care).
with weeks as (
    select * from weekly_exposure
),

participants as (
    select participant_id, prescribed_direction from raw_participants
),

per_participant as (
    select
        participant_id,
        count(*) as intervention_weeks,
        avg(retro_minutes) as retro_minutes_per_week,
        avg(forward_minutes) as forward_minutes_per_week,
        avg(unknown_minutes) as unknown_minutes_per_week,
        avg(retro_distance_m) as retro_distance_m_per_week,
        sum(retro_minutes) as retro_minutes,
        sum(forward_minutes) as forward_minutes,
        sum(sessions) as sessions,
        count(*) filter (where sessions > 0) as weeks_with_sessions,
        max(prescribed_minutes_per_week) as prescribed_minutes_per_week,
        avg(adherence) as mean_adherence
    from weeks
    group by participant_id
),

final as (
    select
        participants.participant_id,
        cast(per_participant.intervention_weeks as integer) as intervention_weeks,
        per_participant.retro_minutes_per_week,
        per_participant.forward_minutes_per_week,
        per_participant.unknown_minutes_per_week,
        per_participant.retro_distance_m_per_week,
        per_participant.retro_minutes,
        per_participant.forward_minutes,
        cast(per_participant.sessions as bigint) as sessions,
        cast(per_participant.weeks_with_sessions as bigint) as weeks_with_sessions,
        participants.prescribed_direction,
        per_participant.prescribed_minutes_per_week,
        per_participant.mean_adherence
    from participants
    inner join per_participant using (participant_id)
)

select * from final
