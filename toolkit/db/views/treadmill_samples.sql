-- treadmill_samples: one row per recorded treadmill sample (usually one per second).
-- Key: participant_id, session_id, recorded_at.
with source as (
    select * from raw_treadmill_samples
),

final as (
    select
        participant_id,
        session_id,
        recorded_at,
        speed_mps,
        distance_m,
        incline_pct,
        heart_rate_bpm,
        cadence_spm,
        coalesce(direction, 'unknown') as direction
    from source
)

select * from final
