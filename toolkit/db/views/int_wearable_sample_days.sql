-- int_wearable_sample_days: one row per participant and local calendar day with any kept
-- wearable sample (int_wearable_samples). Steps, distance and exercise time are sums; walking
-- speed, asymmetry and resting heart rate are plain means of the day's samples. Active minutes
-- are Apple's exercise minutes or Fitbit's very plus moderately active minutes.
with samples as (
    select * from int_wearable_samples
),

final as (
    select
        participant_id,
        day,
        cast(round(sum(value) filter (where metric = 'steps')) as bigint) as steps,
        sum(value) filter (where metric = 'distance') as distance_m,
        avg(value) filter (where metric = 'walking_speed') as walking_speed_mps,
        avg(value) filter (where metric = 'walking_asymmetry') as asymmetry_pct,
        avg(value) filter (where metric = 'resting_heart_rate') as resting_hr,
        sum(value) filter (
            where metric in ('exercise_time', 'very_active_time', 'moderately_active_time')
        ) / 60 as active_minutes,
        string_agg(distinct source, ', ' order by source) as source
    from samples
    group by participant_id, day
)

select * from final
