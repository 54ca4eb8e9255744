-- int_scores: every score, as stored (raw_pain_scores: score files, diaries) or derived from
-- stored item answers (int_item_scores). Where both exist for one participant, instrument and
-- time, the score derived from the items counts.
with stored as (
    select participant_id, measured_at, instrument, score, visit from raw_pain_scores
),

from_items as (
    select * from int_item_scores
),

final as (
    select * from from_items
    union all
    select stored.*
    from stored
    where not exists (
        select 1 from from_items
        where from_items.participant_id = stored.participant_id
            and from_items.instrument = stored.instrument
            and from_items.measured_at = stored.measured_at
    )
)

select * from final
