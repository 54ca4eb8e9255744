-- int_participant_weeks: the intervention weeks of every participant (study weeks
-- 1..intervention_weeks, study_settings), in the participant's local calendar: week 1 is the
-- ISO week (Monday start) holding enrolled_on.
with participants as (
    select * from raw_participants
),

settings as (
    select cast(max(value) filter (where key = 'intervention_weeks') as bigint)
        as intervention_weeks
    from study_settings
),

week_indexes as (
    select
        participants.participant_id,
        participants.enrolled_on,
        participants.prescribed_direction,
        participants.prescribed_minutes_per_week,
        unnest(range(0, settings.intervention_weeks)) as week_index
    from participants
    cross join settings
),

final as (
    select
        participant_id,
        cast(date_trunc('week', enrolled_on) as date) + cast(7 * week_index as integer)
            as week_start,
        cast(week_index + 1 as integer) as study_week,
        prescribed_direction,
        prescribed_minutes_per_week
    from week_indexes
)

select * from final
