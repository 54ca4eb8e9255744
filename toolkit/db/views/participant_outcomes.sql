-- participant_outcomes: the analysis frame of an outcome (toolkit.analysis_frames.outcome_frame):
-- every participant for every instrument of ref_instruments, with the roster's
-- characteristics, the outcomes view's baseline, follow-up, change and responder (null where
-- there is no score) and the participant_exposure summary (retro_minutes and forward_minutes
-- are mean weekly minutes over the intervention weeks, adherence the mean weekly adherence).
with participants as (
    select * from raw_participants
),

instruments as (
    select instrument from ref_instruments
),

chosen_outcomes as (
    select * from outcomes
),

exposure as (
    select * from participant_exposure
),

final as (
    select
        participants.participant_id,
        instruments.instrument,
        participants.arm,
        participants.condition,
        participants.sex,
        participants.age,
        participants.bmi,
        participants.site,
        chosen_outcomes.baseline,
        chosen_outcomes.follow_up,
        chosen_outcomes.change,
        chosen_outcomes.percent_change,
        chosen_outcomes.responder,
        coalesce(exposure.retro_minutes_per_week, 0.0) as retro_minutes,
        coalesce(exposure.forward_minutes_per_week, 0.0) as forward_minutes,
        exposure.mean_adherence as adherence
    from participants
    cross join instruments
    left join chosen_outcomes
        on chosen_outcomes.participant_id = participants.participant_id
        and chosen_outcomes.instrument = instruments.instrument
    left join exposure on exposure.participant_id = participants.participant_id
)

select * from final
