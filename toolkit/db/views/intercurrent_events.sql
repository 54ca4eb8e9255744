-- intercurrent_events: one row per intercurrent event of an enrolled participant (ICH E9(R1):
-- discontinued the intervention, lost to follow-up, rescue medication, surgery, other).
-- Key: participant_id, event, event_date. study_day counts from enrolment (day 0), as in
-- int_study_days; path is the file the event was loaded from (lineage).
with events as (
    select * from raw_intercurrent_events
),

participants as (
    select participant_id, arm, enrolled_on from raw_participants
),

files as (
    select sha256, min(path) as path
    from raw_ingest_log
    where status in ('loaded', 'salvaged')
    group by sha256
),

final as (
    select
        events.participant_id,
        participants.arm,
        events.event_date,
        cast(date_diff('day', participants.enrolled_on, events.event_date) as integer) as study_day,
        events.event,
        events.reason,
        files.path as source_path
    from events
    inner join participants using (participant_id)
    left join files on files.sha256 = events.source_sha256
)

select * from final
