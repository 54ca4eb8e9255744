-- int_participant_weeks: one row per participant and ISO week of the intervention.
-- Study week 1 is the ISO week (Monday start, participant's local calendar) holding enrolled_on.
with participants as (
    select * from raw_participants
),

settings as (
    select cast(value as bigint) as study_weeks
    from study_settings
    where key = 'study_weeks'
),

week_indexes as (
    select
        participants.participant_id,
        participants.enrolled_on,
        participants.prescribed_direction,
        participants.prescribed_minutes_per_week,
        unnest(range(0, settings.study_weeks)) as week_index
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
