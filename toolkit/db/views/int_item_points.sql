-- int_item_points: the points of every stored questionnaire answer (raw_questionnaire_items)
-- by the definition in effect (int_questionnaire_definitions). An answer names an option of
-- the definition it was read by (its definition_sha256): by its points when the file gave a
-- number, else by its wording (answer_key = the option's label_key); its points are those of
-- the option in the same place (option_index) in the definition in effect, so a changed
-- option's points re-score old answers. A continuous item (NRS, VAS) scores its number. Rows
-- stored before answers were kept as exported (no definition_sha256) score their stored value.
with answers as (
    select * from raw_questionnaire_items
),

in_effect as (
    select * from int_questionnaire_definitions
),

read_options as (
    select distinct definition_sha256, item, option_index, label_key, points
    from raw_questionnaire_options
    where option_index is not null
),

effective_scales as (
    select scales.instrument, scales.questionnaire, scales.definition_sha256
    from raw_questionnaire_scales as scales
    inner join in_effect
        on in_effect.questionnaire = scales.questionnaire
        and in_effect.definition_sha256 = scales.definition_sha256
        and in_effect.source_sha256 = scales.source_sha256
),

effective_options as (
    select options.definition_sha256, options.item, options.option_index, options.points
    from raw_questionnaire_options as options
    inner join in_effect
        on in_effect.questionnaire = options.questionnaire
        and in_effect.definition_sha256 = options.definition_sha256
        and in_effect.source_sha256 = options.source_sha256
    where options.option_index is not null
),

chosen as (
    select
        answers.participant_id,
        answers.instrument,
        answers.measured_at,
        answers.item,
        min(read_options.option_index) as option_index
    from answers
    inner join read_options
        on read_options.definition_sha256 = answers.definition_sha256
        and read_options.item = answers.item
    where (answers.value is not null and read_options.points = answers.value)
        or (answers.value is null and read_options.label_key = answers.answer_key)
    group by answers.participant_id, answers.instrument, answers.measured_at, answers.item
),

final as (
    select
        answers.participant_id,
        answers.measured_at,
        answers.instrument,
        answers.item,
        answers.visit,
        answers.answer,
        chosen.option_index,
        case
            when answers.definition_sha256 is null then answers.value
            when chosen.option_index is not null then effective_options.points
            else answers.value
        end as points
    from answers
    left join chosen
        on chosen.participant_id = answers.participant_id
        and chosen.instrument = answers.instrument
        and chosen.measured_at = answers.measured_at
        and chosen.item = answers.item
    left join effective_scales on effective_scales.instrument = answers.instrument
    left join effective_options
        on effective_options.definition_sha256 = effective_scales.definition_sha256
        and effective_options.item = answers.item
        and effective_options.option_index = chosen.option_index
)

select * from final
