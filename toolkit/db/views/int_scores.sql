-- int_scores: every score, as stored (raw_pain_scores: score files, diaries) or derived from
-- stored item answers (int_item_scores). Where both exist for one participant, instrument and
-- time, the score derived from the items counts.
with stored as (
    select participant_id, measured_at, instrument, score, visit from raw_pain_scores
),

from_items as (
    select * from int_item_scores
),

stored_only as (
    select stored.*
    from stored
    left join from_items
        on from_items.participant_id = stored.participant_id
        and from_items.instrument = stored.instrument
        and from_items.measured_at = stored.measured_at
    where from_items.participant_id is null
),

final as (
    select * from from_items
    union all
    select * from stored_only
)

select * from final
