-- 0011: questionnaire answers are stored as exported and scored in the views by a definition
-- the study holds as raw data: every file of answers stores a copy of the definition it was
-- read with (the toolkit's packaged TOML), and a definition TOML can be ingested on its own.
-- The views score every answer by the definition in effect (int_questionnaire_definitions),
-- so changing an option's points re-scores old answers, and a toolkit upgrade re-scores only
-- through a recorded definition change.
-- raw_questionnaire_items: answer (the option's wording, or the number, as exported),
-- answer_key (the answer lower-cased, tags removed, spaces collapsed: what option labels are
-- matched on) and definition_sha256 (the definition it was read by). value keeps the answer
-- read as a number. Rows stored before this version have no answer: their value is the points.
alter table raw_questionnaire_items add column answer varchar;
alter table raw_questionnaire_items add column answer_key varchar;
alter table raw_questionnaire_items add column definition_sha256 varchar;

-- one row per scale of a stored definition copy (definition_sha256: sha256 of the TOML text)
create table raw_questionnaire_scales (
    definition_sha256 varchar not null,
    questionnaire varchar not null,
    instrument varchar not null,
    method varchar not null check (method in ('single', 'sum', 'mean_0_100')),
    n_items integer not null,
    max_missing integer not null,
    min_answered integer,
    item_max double not null,
    definition varchar not null,
    source_sha256 varchar not null
);

-- which items each scale of a definition copy is scored from
create table raw_questionnaire_scale_items (
    definition_sha256 varchar not null,
    instrument varchar not null,
    item varchar not null,
    source_sha256 varchar not null
);

-- every answer box of every item (option_index: 0-based box order) with its wording and
-- points; a continuous item has one row with option_index null and its range (low, high)
create table raw_questionnaire_options (
    definition_sha256 varchar not null,
    questionnaire varchar not null,
    item varchar not null,
    option_index integer,
    label varchar,
    label_key varchar,
    points double,
    low double,
    high double,
    source_sha256 varchar not null
);

-- A study with answers stored before this version keeps scoring them by the rules it used
-- (ref_scales, ref_scale_items, synced from the toolkit that opened it last): they become the
-- first stored definition copy, recorded in ingest_log as this migration's. Those answers are
-- stored as points (no definition_sha256), so they need no options. The reference copies go.
insert into raw_ingest_log (path, sha256, format, status, rows_json, toolkit_version, ingested_at)
select
    'schema migration 0011: the scoring rules in use before answers were stored as exported',
    'migration-0011-scoring-rules',
    'questionnaire_items',
    'loaded',
    '{}',
    'migration 0011',
    now()
where exists (select 1 from raw_questionnaire_items);

insert into raw_questionnaire_scales
select
    definition_sha256, questionnaire, instrument, method, n_items, max_missing, min_answered,
    item_max, 'scoring rules in use before migration 0011', 'migration-0011-scoring-rules'
from ref_scales
where exists (select 1 from raw_questionnaire_items);

insert into raw_questionnaire_scale_items
select scale_items.instrument_definition, scale_items.instrument, scale_items.item,
    'migration-0011-scoring-rules'
from (
    select ref_scales.definition_sha256 as instrument_definition, ref_scale_items.*
    from ref_scale_items
    inner join ref_scales using (instrument)
) as scale_items
where exists (select 1 from raw_questionnaire_items);

drop table ref_scale_items;
drop table ref_scales;
