-- wearable_workouts: one row per workout recorded by a watch or phone.
-- Key: participant_id, source, activity, started_at. day is the participant's local day of the
-- start; indoor walking is how a watch records treadmill walking (the direction is unknown).
-- Two sources recording one workout (an Apple Watch and a Garmin watch both started for one
-- walk, same start, their own durations) give one row per source, each naming it: which
-- is right cannot be told, and workouts are listings, never counted as sessions (treadmill
-- sessions recorded twice are counted once: session_copies). Within one source, one start
-- with other values is rejected at ingest, naming both rows.
with workouts as (
    select
        coalesce(links.participant_id, stored.participant_id) as participant_id,
        stored.started_at,
        stored.ended_at,
        stored.activity,
        stored.indoor,
        stored.duration_s,
        stored.distance_m,
        stored.source,
        stored.device
    from raw_wearable_workouts as stored
    left join int_source_participants as links on links.source_sha256 = stored.source_sha256
),

participants as (
    select participant_id, timezone from raw_participants
),

final as (
    select
        workouts.participant_id,
        workouts.started_at,
        workouts.ended_at,
        cast(workouts.started_at at time zone participants.timezone as date) as day,
        workouts.activity,
        workouts.indoor,
        workouts.duration_s,
        workouts.distance_m,
        workouts.source,
        workouts.device
    from workouts
    inner join participants using (participant_id)
)

select * from final
