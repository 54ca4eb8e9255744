-- score_trajectories: every score (scheduled visits and diary entries) with the participant's
-- arm and condition and its time since enrolment in weeks (study_week = study_day / 7, a
-- fraction), as mixed models over time and trajectory figures take them.
with scores as (
    select * from pain_scores
),

participants as (
    select participant_id, arm, condition from raw_participants
),

final as (
    select
        scores.participant_id,
        scores.instrument,
        scores.measured_at,
        participants.arm,
        participants.condition,
        scores.study_day,
        scores.study_day / 7.0 as study_week,
        scores.visit,
        scores.is_diary,
        scores.score
    from scores
    inner join participants using (participant_id)
)

select * from final
