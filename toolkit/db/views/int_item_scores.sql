-- int_item_scores: the score of every answered scale stored item by item (int_item_points:
-- the answers' points), by the scale rules of the definition in effect
-- (int_questionnaire_definitions; raw_questionnaire_scales and raw_questionnaire_scale_items
-- hold every stored copy of toolkit/instruments/questionnaires/*.toml). Methods: single (the
-- one item as answered), sum (sum of item points; up to max_missing missing items each count
-- as the mean of the answered ones), mean_0_100 (100 - mean * 100 / item_max, with at least
-- min_answered items answered, all when unset). A scale with too many missing items has no
-- row (no score), never a zero. The same rules as toolkit.instruments.scoring.score_scale.
with answers as (
    select participant_id, instrument, measured_at, item, visit, points as value
    from int_item_points
),

in_effect as (
    select * from int_questionnaire_definitions
),

scales as (
    select stored.*
    from raw_questionnaire_scales as stored
    inner join in_effect
        on in_effect.questionnaire = stored.questionnaire
        and in_effect.definition_sha256 = stored.definition_sha256
        and in_effect.source_sha256 = stored.source_sha256
),

scale_items as (
    select stored.instrument, stored.item
    from raw_questionnaire_scale_items as stored
    inner join scales
        on scales.instrument = stored.instrument
        and scales.definition_sha256 = stored.definition_sha256
        and scales.source_sha256 = stored.source_sha256
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
