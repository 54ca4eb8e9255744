-- 0010: intercurrent events (ICH E9(R1)) as raw data: one row per event a participant had
-- after randomisation (discontinued the intervention, lost to follow-up, rescue medication,
-- surgery, other), with the date, the reason as recorded and lineage (source_sha256 joins to
-- raw_ingest_log). Loaded from an intercurrent-events CSV or workbook
-- (toolkit/ingest/intercurrent_events.py); the CONSORT flow and estimand strategies read them
-- through the public view intercurrent_events.
create table raw_intercurrent_events (
    participant_id varchar not null,
    event_date date not null,
    event varchar not null check (
        event in ('discontinued', 'lost_to_follow_up', 'rescue_medication', 'surgery', 'other')
    ),
    reason varchar,
    source_sha256 varchar not null,
    primary key (participant_id, event, event_date)
);
