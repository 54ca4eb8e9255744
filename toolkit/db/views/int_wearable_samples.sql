-- int_wearable_samples: one row per wearable sample that counts, after choosing one source per
-- participant, metric and local clock hour. Grain: one row per kept raw_wearable_samples row.
-- Apple Health's rule for overlapping sources (Health > Browse > Data Sources & Access): the
-- highest-priority source with data in an interval is used and the others are ignored there.
-- Priority here: wrist devices (device or source naming a watch, Fitbit or Garmin), then phones,
-- then anything else; ties by source name. The interval is the local clock hour of a sample's
-- start; a sample belongs to the local day and hour in which it starts.
with stored as (
    select * from raw_wearable_samples
),

links as (
    select source_sha256, participant_id from int_source_participants
),

samples as (
    select
        coalesce(links.participant_id, stored.participant_id) as participant_id,
        stored.metric,
        stored.start_at,
        stored.end_at,
        stored.value,
        stored.unit,
        stored.source,
        stored.device
    from stored
    left join links on links.source_sha256 = stored.source_sha256
),

participants as (
    select participant_id, timezone from raw_participants
),

localised as (
    select
        samples.participant_id,
        samples.metric,
        samples.start_at,
        samples.end_at,
        samples.value,
        samples.unit,
        samples.source,
        samples.device,
        samples.start_at at time zone participants.timezone as local_start,
        lower(coalesce(samples.device, '') || ' ' || samples.source) as described
    from samples
    inner join participants using (participant_id)
),

ranked as (
    select
        *,
        date_trunc('hour', local_start) as local_hour,
        case
            when described like '%watch%' or described like '%fitbit%'
                or described like '%garmin%' then 1
            when described like '%phone%' then 2
            else 3
        end as source_rank
    from localised
),

preferred as (
    select
        participant_id,
        metric,
        local_hour,
        arg_min(source, struct_pack(source_rank := source_rank, source := source)) as source
    from ranked
    group by participant_id, metric, local_hour
),

final as (
    select
        ranked.participant_id,
        ranked.metric,
        ranked.start_at,
        ranked.end_at,
        ranked.value,
        ranked.unit,
        ranked.source,
        ranked.device,
        ranked.local_start,
        cast(ranked.local_start as date) as day,
        ranked.source_rank
    from ranked
    semi join preferred using (participant_id, metric, local_hour, source)
)

select * from final
