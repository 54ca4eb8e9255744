-- weekly_exposure: every intervention week of every participant (study weeks
-- 1..intervention_weeks from the enrolment week), weeks without sessions included with zeros.
-- adherence = minutes walked in the prescribed direction / prescribed minutes per week (null
-- when nothing is prescribed, e.g. usual care).
with participant_weeks as (
    select * from int_participant_weeks
),

segments as (
    select * from sessions where study_week is not null
),

week_totals as (
    select
        participant_id,
        study_week,
        sum(duration_s) filter (where direction = 'backward') / 60.0 as retro_minutes,
        sum(duration_s) filter (where direction = 'forward') / 60.0 as forward_minutes,
        sum(duration_s) filter (where direction = 'unknown') / 60.0 as unknown_minutes,
        sum(distance_m) filter (where direction = 'backward') as retro_distance_m,
        count(distinct session_id) as sessions
    from segments
    group by participant_id, study_week
),

final as (
    select
        participant_weeks.participant_id,
        participant_weeks.week_start,
        participant_weeks.study_week,
        coalesce(week_totals.retro_minutes, 0.0) as retro_minutes,
        coalesce(week_totals.forward_minutes, 0.0) as forward_minutes,
        coalesce(week_totals.unknown_minutes, 0.0) as unknown_minutes,
        coalesce(week_totals.retro_distance_m, 0.0) as retro_distance_m,
        coalesce(week_totals.sessions, 0) as sessions,
        participant_weeks.prescribed_minutes_per_week,
        case participant_weeks.prescribed_direction
            when 'backward' then coalesce(week_totals.retro_minutes, 0.0)
            when 'forward' then coalesce(week_totals.forward_minutes, 0.0)
        end / nullif(participant_weeks.prescribed_minutes_per_week, 0) as adherence
    from participant_weeks
    left join week_totals using (participant_id, study_week)
)

select * from final
