-- wearable_daily: one row per participant and local calendar day with wearable data.
-- Key: participant_id, day. Two feeds: days summed from samples (int_wearable_sample_days,
-- where overlapping sources are already resolved per hour) and daily summaries stored as such
-- (raw_wearable_daily, one row per day and source). When several feeds report the same day,
-- one is used for the whole day: the one with the most steps, then samples before summaries,
-- then by source name.
with sample_days as (
    select * from int_wearable_sample_days
),

summaries as (
    select * from raw_wearable_daily
),

feeds as (
    select
        participant_id, day, steps, walking_speed_mps, asymmetry_pct, resting_hr,
        active_minutes, source, 0 as feed_rank
    from sample_days
    union all
    select
        participant_id, day, steps, walking_speed_mps, asymmetry_pct, resting_hr,
        active_minutes, source, 1 as feed_rank
    from summaries
),

final as (
    select
        participant_id,
        day,
        steps,
        walking_speed_mps,
        asymmetry_pct,
        resting_hr,
        active_minutes,
        source
    from feeds
    qualify row_number() over (
        partition by participant_id, day order by steps desc nulls last, feed_rank, source
    ) = 1
)

select * from final
