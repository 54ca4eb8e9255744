-- pain_scores: one row per scored questionnaire or diary entry.
-- Key: participant_id, instrument, measured_at. study_day counts calendar days in the
-- participant's time zone from enrolled_on (day 0).
with scores as (
    select * from raw_pain_scores
),

instruments as (
    select * from ref_instruments
),

participants as (
    select participant_id, enrolled_on, timezone from raw_participants
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
        cast(
            date_diff('day', participants.enrolled_on,
                cast(scores.measured_at at time zone participants.timezone as date))
            as integer
        ) as study_day
    from scores
    inner join participants using (participant_id)
    left join instruments using (instrument)
)

select * from final
