-- treadmill_samples: recorded treadmill samples (usually one per second), with elapsed_s, the
-- seconds since their session started.
with samples as (
    select * from raw_treadmill_samples
),

session_headers as (
    select participant_id, session_id, started_at as session_started_at
    from raw_treadmill_sessions
),

final as (
    select
        samples.participant_id,
        samples.session_id,
        samples.recorded_at,
        samples.speed_mps,
        samples.distance_m,
        samples.incline_pct,
        samples.heart_rate_bpm,
        samples.cadence_spm,
        coalesce(samples.direction, 'unknown') as direction,
        date_diff('microsecond', session_headers.session_started_at, samples.recorded_at) / 1e6
            as elapsed_s
    from samples
    inner join session_headers using (participant_id, session_id)
)

select * from final
