-- participants: one row per enrolled participant. Key: participant_id.
with source as (
    select * from raw_participants
),

final as (
    select
        participant_id,
        arm,
        condition,
        sex,
        age,
        bmi,
        site,
        enrolled_on,
        timezone,
        prescribed_direction,
        prescribed_minutes_per_week
    from source
)

select * from final
