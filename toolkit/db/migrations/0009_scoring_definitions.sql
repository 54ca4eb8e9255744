-- 0009: questionnaire scores are derived from the stored item answers in the views
-- (int_item_scores), by the scoring rules the study holds as reference data (synced from the
-- toolkit's instrument definitions on every read-write open, like ref_instruments), so a
-- changed definition re-scores every stored answer.
-- ref_scales: one row per scored scale (pain_scores.instrument) with its rule;
-- definition_sha256 is the sha256 of the questionnaire definition file it came from.
create table ref_scales (
    instrument varchar primary key,
    questionnaire varchar not null,
    method varchar not null check (method in ('single', 'sum', 'mean_0_100')),
    n_items integer not null,
    max_missing integer not null,
    min_answered integer,
    item_max double not null,
    definition_sha256 varchar not null
);

-- ref_scale_items: which items each scale is scored from.
create table ref_scale_items (
    instrument varchar not null,
    item varchar not null,
    primary key (instrument, item)
);

-- Scores stored by earlier versions for answers that are stored item by item are now derived
-- from those items: drop the frozen copies (the same file's items are kept).
delete from raw_pain_scores
where exists (
    select 1 from raw_questionnaire_items i
    where i.participant_id = raw_pain_scores.participant_id
        and i.instrument = raw_pain_scores.instrument
        and i.measured_at = raw_pain_scores.measured_at
        and i.source_sha256 = raw_pain_scores.source_sha256
);
