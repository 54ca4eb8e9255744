-- gait_outcomes: the analysis frame of a wearable gait measure (toolkit.analysis_frames.
-- gait_frame): every participant for every gait measure (walking_speed m/s, step_length m,
-- walking_asymmetry and double_support %, six_minute_walk_distance m), with the roster's
-- characteristics, the measure per visit window, and the participant_exposure summary.
-- A day's value is the mean of its kept samples (int_wearable_samples: one source per
-- participant, metric and local hour); baseline is the mean over the days inside the study's
-- baseline window, follow_up the mean over the days inside its follow-up window (the windows
-- of the outcomes view, defined once in int_study_windows, matched on the local date).
-- Nulls where a window has no day with data.
with participants as (
    select * from raw_participants
),

measures as (
    select 'walking_speed' as measure
    union all select 'step_length'
    union all select 'walking_asymmetry'
    union all select 'double_support'
    union all select 'six_minute_walk_distance'
),

samples as (
    select * from int_wearable_samples
),

exposure as (
    select * from participant_exposure
),

study_windows as (
    select * from int_study_windows
),

days as (
    select
        samples.participant_id,
        samples.metric as measure,
        samples.day,
        avg(samples.value) as value
    from samples
    inner join measures on measures.measure = samples.metric
    group by samples.participant_id, samples.metric, samples.day
),

windowed as (
    select
        days.participant_id,
        days.measure,
        days.value,
        study_windows.in_baseline,
        study_windows.in_follow_up
    from days
    inner join study_windows
        on study_windows.participant_id = days.participant_id
        and study_windows.local_date = days.day
),

windows as (
    select
        participant_id,
        measure,
        avg(value) filter (where in_baseline) as baseline,
        avg(value) filter (where in_follow_up) as follow_up,
        count(*) filter (where in_baseline) as baseline_days,
        count(*) filter (where in_follow_up) as follow_up_days
    from windowed
    group by participant_id, measure
),

final as (
    select
        participants.participant_id,
        measures.measure,
        participants.arm,
        participants.condition,
        participants.sex,
        participants.age,
        participants.bmi,
        participants.site,
        windows.baseline,
        windows.follow_up,
        windows.follow_up - windows.baseline as change,
        coalesce(windows.baseline_days, 0) as baseline_days,
        coalesce(windows.follow_up_days, 0) as follow_up_days,
        coalesce(exposure.retro_minutes_per_week, 0.0) as retro_minutes,
        coalesce(exposure.forward_minutes_per_week, 0.0) as forward_minutes,
        exposure.mean_adherence as adherence
    from participants
    cross join measures
    left join windows
        on windows.participant_id = participants.participant_id
        and windows.measure = measures.measure
    left join exposure on exposure.participant_id = participants.participant_id
)

select * from final
