-- int_item_scores: the score of every answered scale stored item by item
-- (raw_questionnaire_items), by the study's scoring rules (ref_scales, ref_scale_items: the
-- instrument definitions, toolkit/instruments/questionnaires/*.toml). Methods: single (the
-- one item as answered), sum (sum of item points; up to max_missing missing items each count
-- as the mean of the answered ones), mean_0_100 (100 - mean * 100 / item_max, with at least
-- min_answered items answered, all when unset). A scale with too many missing items has no
-- row (no score), never a zero. The same rules as toolkit.instruments.scoring.score_scale.
with answers as (
    select * from raw_questionnaire_items
),

scales as (
    select * from ref_scales
),

scale_items as (
    select * from ref_scale_items
),

responses as (
    select
        answers.participant_id,
        answers.instrument,
        answers.measured_at,
        max(answers.visit) as visit,
        count(answers.value) as answered,
        sum(answers.value) as total,
        avg(answers.value) as mean_points
    from answers
    inner join scale_items
        on scale_items.instrument = answers.instrument
        and scale_items.item = answers.item
    group by answers.participant_id, answers.instrument, answers.measured_at
),

scored as (
    select
        responses.participant_id,
        responses.instrument,
        responses.measured_at,
        responses.visit,
        case
            when responses.answered = 0 then null
            when scales.method = 'single' then responses.total
            when scales.method = 'sum' and scales.n_items - responses.answered <= scales.max_missing
                then case when responses.answered = scales.n_items then responses.total
                    else responses.total
                        + (scales.n_items - responses.answered) * responses.mean_points
                end
            when scales.method = 'mean_0_100'
                and responses.answered >= coalesce(scales.min_answered, scales.n_items)
                then 100.0 - responses.mean_points * 100.0 / scales.item_max
        end as score
    from responses
    inner join scales using (instrument)
),

final as (
    select participant_id, measured_at, instrument, score, visit
    from scored
    where score is not null
)

select * from final
