-- int_questionnaire_definitions: the definition in effect for every questionnaire the study
-- holds a definition of (raw_questionnaire_scales: a copy is stored with every file of answers,
-- and by every definition TOML ingested on its own). A definition file ingested on its own wins
-- (the latest such); else the definition of the latest file of answers. So scores change only
-- through a definition the study records in ingest_log, never by a toolkit upgrade alone.
-- source_sha256 names the file whose copy is in effect (one copy of the definition's rows).
with copies as (
    select distinct questionnaire, definition_sha256, source_sha256
    from raw_questionnaire_scales
),

attempts as (
    select sha256, max(attempt_id) as last_attempt, max(format) as format
    from raw_ingest_log
    where status in ('loaded', 'salvaged', 'duplicate')
    group by sha256
),

ranked as (
    select
        copies.questionnaire,
        copies.definition_sha256,
        copies.source_sha256,
        attempts.format = 'questionnaire_definition' as from_definition_file,
        row_number() over (
            partition by copies.questionnaire
            order by
                case when attempts.format = 'questionnaire_definition' then 0 else 1 end,
                attempts.last_attempt desc
        ) as precedence
    from copies
    inner join attempts on attempts.sha256 = copies.source_sha256
),

final as (
    select questionnaire, definition_sha256, source_sha256, from_definition_file
    from ranked
    where precedence = 1
)

select * from final
