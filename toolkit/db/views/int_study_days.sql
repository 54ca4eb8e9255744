-- int_study_days: the study calendar, defined once. For every instant at which a participant
-- has a session start, a score or questionnaire answers: the participant's local calendar date (roster time zone),
-- study_day (calendar days from enrolled_on, enrolment day = 0), study_week (1 = the ISO week,
-- Monday start, holding enrolled_on; 0 the week before...) and intervention_week (study_week
-- when it lies in 1..intervention_weeks, else null).
with participants as (
    select participant_id, enrolled_on, timezone from raw_participants
),

settings as (
    select cast(max(value) filter (where key = 'intervention_weeks') as integer)
        as intervention_weeks
    from study_settings
),

instants as (
    select participant_id, started_at as event_at from int_treadmill_sessions
    union
    select participant_id, measured_at as event_at from raw_pain_scores
    union
    select participant_id, measured_at as event_at from raw_questionnaire_items
),

localised as (
    select
        instants.participant_id,
        instants.event_at,
        participants.enrolled_on,
        cast(instants.event_at at time zone participants.timezone as date) as local_date
    from instants
    inner join participants using (participant_id)
),

numbered as (
    select
        participant_id,
        event_at,
        local_date,
        cast(date_diff('day', enrolled_on, local_date) as integer) as study_day,
        cast(
            date_diff(
                'day',
                cast(date_trunc('week', enrolled_on) as date),
                cast(date_trunc('week', local_date) as date)
            ) / 7 + 1 as integer
        ) as study_week
    from localised
),

final as (
    select
        numbered.participant_id,
        numbered.event_at,
        numbered.local_date,
        numbered.study_day,
        numbered.study_week,
        case when numbered.study_week between 1 and settings.intervention_weeks
            then numbered.study_week
        end as intervention_week
    from numbered
    cross join settings
)

select * from final
