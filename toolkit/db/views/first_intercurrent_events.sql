-- first_intercurrent_events: one row per participant with an intercurrent event that a hypothetical
-- estimand sets values aside after (toolkit.analyses.estimands): the participant's first event
-- other than lost to follow-up (which is missing data, not an intercurrent event). study_day and
-- event_date are those of the first such event; event names it (the first by name on a tie).
with events as (
    select participant_id, arm, event_date, study_day, event
    from intercurrent_events
    -- lost to follow-up is missing data, not an intercurrent event: it never sets a value aside
    where event <> 'lost_to_follow_up'
),

final as (
    select
        participant_id,
        min(arm) as arm,
        min(study_day) as study_day,
        min(event_date) as event_date,
        arg_min(event, struct_pack(study_day, event)) as event
    from events
    group by participant_id
)

select * from final
