-- gait_outcomes: one row per participant and wearable gait measure with any daily value.
-- Key: participant_id, measure. Measures: walking_speed (m/s), step_length (m),
-- walking_asymmetry and double_support (%), six_minute_walk_distance (m), from the kept wearable
-- samples (int_wearable_samples: one source per participant, metric and local hour). Each day's
-- value is the mean of its samples; baseline is the mean of the days inside the study's baseline
-- window and follow_up the mean of the days inside its follow-up window (the windows of the
-- `outcomes` view, in study_settings; study day = local day minus enrolment day).
with samples as (
    select * from int_wearable_samples
    where metric in (
        'walking_speed', 'step_length', 'walking_asymmetry', 'double_support',
        'six_minute_walk_distance'
    )
),

people as (
    select participant_id, enrolled_on from participants
),

settings as (
    select
        max(value) filter (where key = 'baseline_days_before') as baseline_days_before,
        max(value) filter (where key = 'baseline_days_after') as baseline_days_after,
        max(value) filter (where key = 'follow_up_day') as follow_up_day,
        max(value) filter (where key = 'follow_up_window_days') as follow_up_window_days
    from study_settings
),

days as (
    select
        samples.participant_id,
        samples.metric as measure,
        samples.day,
        date_diff('day', people.enrolled_on, samples.day) as study_day,
        avg(samples.value) as value
    from samples
    inner join people using (participant_id)
    group by samples.participant_id, samples.metric, samples.day, people.enrolled_on
),

windows as (
    select
        days.*,
        days.study_day between -settings.baseline_days_before
            and settings.baseline_days_after as in_baseline,
        abs(days.study_day - settings.follow_up_day)
            <= settings.follow_up_window_days as in_follow_up
    from days
    cross join settings
),

final as (
    select
        participant_id,
        measure,
        avg(value) filter (where in_baseline) as baseline,
        avg(value) filter (where in_follow_up) as follow_up,
        avg(value) filter (where in_follow_up) - avg(value) filter (where in_baseline) as change,
        count(*) filter (where in_baseline) as baseline_days,
        count(*) filter (where in_follow_up) as follow_up_days
    from windows
    group by participant_id, measure
)

select * from final
