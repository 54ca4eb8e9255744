-- segment_details: the sessions view's segments with the heart rate recorded during each
-- (mean and maximum of treadmill_samples from the segment's start to its end; null without
-- samples), for one participant's session list.
with segments as (
    select
        *,
        started_at + cast(round(duration_s * 1e3) as bigint) * interval '1 millisecond' as ended_at
    from sessions
),

samples as (
    select participant_id, session_id, recorded_at, heart_rate_bpm from int_treadmill_samples
),

heart_rates as (
    select
        segments.participant_id,
        segments.session_id,
        segments.segment,
        avg(samples.heart_rate_bpm) as mean_heart_rate_bpm,
        max(samples.heart_rate_bpm) as max_heart_rate_bpm
    from segments
    inner join samples
        on samples.participant_id = segments.participant_id
        and samples.session_id = segments.session_id
        and samples.recorded_at >= segments.started_at
        and samples.recorded_at < segments.ended_at
    group by segments.participant_id, segments.session_id, segments.segment
),

final as (
    select
        segments.participant_id,
        segments.session_id,
        segments.segment,
        segments.direction,
        segments.started_at,
        segments.duration_s,
        segments.distance_m,
        segments.mean_speed_mps,
        segments.incline_pct,
        segments.study_day,
        heart_rates.mean_heart_rate_bpm,
        heart_rates.max_heart_rate_bpm
    from segments
    left join heart_rates using (participant_id, session_id, segment)
)

select * from final
