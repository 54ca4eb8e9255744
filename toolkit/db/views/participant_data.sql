-- participant_data: how much data of each kind every participant has (0 when none): treadmill
-- sessions and segments, per-second treadmill samples, scores (pain_scores rows) and days
-- with wearable data (wearable_daily rows). A session's second copy (session_copies) is
-- not counted. The data-completeness summaries read it.
with participants as (
    select participant_id from raw_participants
),

copies as (
    select participant_id, session_id from session_copies
),

segment_counts as (
    select participant_id, count(distinct session_id) as sessions, count(*) as segments
    from int_treadmill_segments
    anti join copies using (participant_id, session_id)
    group by participant_id
),

sample_counts as (
    select participant_id, count(*) as samples
    from int_treadmill_samples
    anti join copies using (participant_id, session_id)
    group by participant_id
),

score_counts as (
    select participant_id, count(*) as scores
    from int_scores
    group by participant_id
),

wearable_counts as (
    select participant_id, count(*) as wearable_days
    from wearable_daily
    group by participant_id
),

final as (
    select
        participants.participant_id,
        coalesce(segment_counts.sessions, 0) as sessions,
        coalesce(segment_counts.segments, 0) as segments,
        coalesce(sample_counts.samples, 0) as samples,
        coalesce(score_counts.scores, 0) as scores,
        coalesce(wearable_counts.wearable_days, 0) as wearable_days
    from participants
    left join segment_counts using (participant_id)
    left join sample_counts using (participant_id)
    left join score_counts using (participant_id)
    left join wearable_counts using (participant_id)
)

select * from final
