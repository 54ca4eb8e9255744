-- wearable_daily: one row per participant and local calendar day with wearable data.
-- Key: participant_id, day. Where several sources report the same day, one source is used for
-- the whole day (the one with the most steps), as Apple Health prefers one source per interval.
with source as (
    select * from raw_wearable_daily
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
    from source
    qualify row_number() over (
        partition by participant_id, day order by steps desc nulls last, source
    ) = 1
)

select * from final
