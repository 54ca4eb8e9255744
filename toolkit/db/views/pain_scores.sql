-- pain_scores: scored questionnaires and diary entries (int_scores: stored scores, and scores
-- derived from stored item answers by the study's scoring rules), with the instrument's scale and the
-- study day (int_study_days: calendar days in the participant's time zone from enrolled_on,
-- day 0). is_diary: the entry is a diary entry (visit "diary", any case), not a scheduled
-- visit; scores that name no visit count as scheduled assessments.
with scores as (
    select * from int_scores
),

instruments as (
    select * from ref_instruments
),

calendar as (
    select participant_id, event_at, study_day from int_study_days
),

final as (
    select
        scores.participant_id,
        scores.measured_at,
        scores.instrument,
        scores.score,
        instruments.scale_min,
        instruments.scale_max,
        instruments.higher_is_better,
        scores.visit,
        calendar.study_day,
        coalesce(lower(scores.visit) = 'diary', false) as is_diary
    from scores
    inner join calendar
        on calendar.participant_id = scores.participant_id
        and calendar.event_at = scores.measured_at
    left join instruments using (instrument)
)

select * from final
