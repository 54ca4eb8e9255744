-- session_copies: treadmill sessions not counted, because another session of the same
-- participant (as linked now: int_treadmill_sessions) records the same walking; the raw tables
-- keep both copies (issue 11, item 15).
-- Two sessions are one walk when
--   rule 'same recording': one recording exported twice (a watch's original FIT and Garmin
--     Connect's TCX of it): the starts lie within 2 s, with the same number of laps, each
--     lap's duration within 2 s of its counterpart's. The device is not compared: FIT names
--     it by manufacturer and product codes, TCX by the Creator's display name;
--   rule 'overlap': otherwise, when they overlap in time for at least half of the shorter one,
--     whatever their sources (a watch's FIT and the treadmill console's CSV of one walk): a
--     participant walks one treadmill session at a time.
-- The session counted is the richer record, by source: treadmill_csv (the treadmill's own
-- record, with the walking direction), fit (a device's original file: per-second grade,
-- strap heart rate, developer fields), tcx (Garmin Connect's conversion of a FIT, which drops
-- those), vendor_csv (an app's one-row summary), then any other; then the one with more laps,
-- then the first session_id. Every other session of the walk is listed here, with the session
-- that outranks it (kept_session_id) and the rule; sessions and samples views leave it out.
with sessions as (
    select
        participant_id,
        session_id,
        source,
        started_at,
        started_at + cast(round(duration_s * 1e3) as bigint) * interval '1 millisecond'
            as ended_at,
        duration_s,
        case source
            when 'treadmill_csv' then 1
            when 'fit' then 2
            when 'tcx' then 3
            when 'vendor_csv' then 4
            else 5
        end as source_rank
    from int_treadmill_sessions
),

laps as (
    select participant_id, session_id, segment, duration_s from int_treadmill_segments
),

lap_counts as (
    select participant_id, session_id, count(*) as laps
    from laps
    group by participant_id, session_id
),

ranked as (
    select sessions.*, coalesce(lap_counts.laps, 0) as laps
    from sessions
    left join lap_counts using (participant_id, session_id)
),

pairs as (
    select
        copy.participant_id,
        copy.session_id,
        copy.source,
        copy.laps,
        kept.session_id as kept_session_id,
        kept.source as kept_source,
        kept.source_rank as kept_rank,
        kept.laps as kept_laps,
        abs(date_diff('microsecond', copy.started_at, kept.started_at)) / 1e6 as start_gap_s
    from ranked as copy
    inner join ranked as kept
        on kept.participant_id = copy.participant_id
        and kept.session_id <> copy.session_id
        and kept.started_at < copy.ended_at
        and copy.started_at < kept.ended_at
    where date_diff(
            'microsecond',
            greatest(copy.started_at, kept.started_at),
            least(copy.ended_at, kept.ended_at)
        ) >= 0.5e6 * least(copy.duration_s, kept.duration_s)
        and (
            kept.source_rank < copy.source_rank
            or (kept.source_rank = copy.source_rank and kept.laps > copy.laps)
            or (
                kept.source_rank = copy.source_rank
                and kept.laps = copy.laps
                and kept.session_id < copy.session_id
            )
        )
),

lap_differences as (
    select
        pairs.participant_id,
        pairs.session_id,
        pairs.kept_session_id,
        sum(
            case
                when kept_laps.segment is null then 1
                when abs(copy_laps.duration_s - kept_laps.duration_s) > 2 then 1
                else 0
            end
        ) as differing_laps
    from pairs
    inner join laps as copy_laps
        on copy_laps.participant_id = pairs.participant_id
        and copy_laps.session_id = pairs.session_id
    left join laps as kept_laps
        on kept_laps.participant_id = pairs.participant_id
        and kept_laps.session_id = pairs.kept_session_id
        and kept_laps.segment = copy_laps.segment
    group by pairs.participant_id, pairs.session_id, pairs.kept_session_id
),

chosen as (
    select
        pairs.*,
        row_number() over (
            partition by pairs.participant_id, pairs.session_id
            order by pairs.kept_rank, pairs.kept_laps desc, pairs.kept_session_id
        ) as choice
    from pairs
),

final as (
    select
        chosen.participant_id,
        chosen.session_id,
        chosen.source,
        chosen.kept_session_id,
        chosen.kept_source,
        case
            when chosen.start_gap_s <= 2
                and chosen.laps = chosen.kept_laps
                and coalesce(lap_differences.differing_laps, 0) = 0
                then 'same recording'
            else 'overlap'
        end as rule,
        chosen.start_gap_s
    from chosen
    left join lap_differences
        on lap_differences.participant_id = chosen.participant_id
        and lap_differences.session_id = chosen.session_id
        and lap_differences.kept_session_id = chosen.kept_session_id
    where chosen.choice = 1
)

select * from final
