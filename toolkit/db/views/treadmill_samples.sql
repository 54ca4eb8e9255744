-- treadmill_samples: recorded treadmill samples (usually one per second), with elapsed_s, the
-- seconds since their session started, and their walking direction: the export's own, else
-- that of the segment (the sessions view, manifests applied) they fall in (the latest-starting
-- one on a boundary), else unknown.
with samples as (
    select * from int_treadmill_samples
),

copies as (
    select participant_id, session_id from session_copies
),

session_headers as (
    select participant_id, session_id, started_at as session_started_at
    from int_treadmill_sessions
    -- the samples of a session's second copy (session_copies) are not counted
    anti join copies using (participant_id, session_id)
),

segments as (
    select
        participant_id,
        session_id,
        direction,
        started_at,
        started_at + cast(round(duration_s * 1e3) as bigint) * interval '1 millisecond'
            as ended_at
    from sessions
),

unlabelled as (
    select participant_id, session_id, recorded_at from samples where direction is null
),

segment_of_sample as (
    select
        unlabelled.participant_id,
        unlabelled.session_id,
        unlabelled.recorded_at,
        max_by(segments.direction, segments.started_at) as direction
    from unlabelled
    inner join segments
        on segments.participant_id = unlabelled.participant_id
        and segments.session_id = unlabelled.session_id
        and unlabelled.recorded_at >= segments.started_at
        and unlabelled.recorded_at <= segments.ended_at
    group by unlabelled.participant_id, unlabelled.session_id, unlabelled.recorded_at
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
        coalesce(samples.direction, segment_of_sample.direction, 'unknown') as direction,
        date_diff('microsecond', session_headers.session_started_at, samples.recorded_at) / 1e6
            as elapsed_s
    from samples
    inner join session_headers using (participant_id, session_id)
    left join segment_of_sample using (participant_id, session_id, recorded_at)
)

select * from final
